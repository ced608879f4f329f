use std::os::unix::fs::symlink;

use super::*;

fn mode_of(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Tests run as root: uid 65534 stands for another local user.
fn hand_to_another_user(path: &Path) {
    std::os::unix::fs::lchown(path, Some(65534), Some(65534)).unwrap();
}

#[test]
fn a_config_write_replaces_the_target_of_a_symlink_and_keeps_the_link_and_mode() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("real-config");
    let link = dir.path().join("config");
    std::fs::write(&real, "old").unwrap();
    chmod(&real, 0o640);
    symlink(&real, &link).unwrap();
    write_atomic_with_backup(&link, &dir.path().join("config.bak"), b"new", 0o600).unwrap();
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    assert_eq!(std::fs::read_to_string(&real).unwrap(), "new");
    assert_eq!(mode_of(&real), 0o640);
}

#[test]
fn a_config_the_user_cannot_write_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config");
    let backup = dir.path().join("config.bak");
    std::fs::write(&path, "mine").unwrap();
    chmod(&path, 0o444);
    let err = write_atomic_with_backup(&path, &backup, b"new", 0o600).unwrap_err();
    assert!(matches!(err, FileError::ReadOnly { mode: 0o444, .. }), "{err}");
    chmod(&path, 0o644);
    hand_to_another_user(&path);
    let err = write_atomic_with_backup(&path, &backup, b"new", 0o600).unwrap_err();
    assert!(matches!(err, FileError::NotYours { uid: 65534, .. }), "{err}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "mine");
    assert!(!backup.exists());
}

#[test]
fn private_files_are_0600_in_new_0700_folders_and_no_temp_file_is_left() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a/b/token.json");
    write_private(&path, b"{}").unwrap();
    assert_eq!(mode_of(&dir.path().join("a/b")), 0o700);
    assert_eq!(mode_of(&path), 0o600);
    chmod(&path, 0o644);
    write_private(&path, b"{}").unwrap();
    assert_eq!(mode_of(&path), 0o600, "a private file's mode is not kept");
    let names: Vec<_> = std::fs::read_dir(dir.path().join("a/b")).unwrap().collect();
    assert_eq!(names.len(), 1);
}

#[test]
fn a_private_write_replaces_a_planted_link_instead_of_following_it() {
    let dir = tempfile::tempdir().unwrap();
    let victim = dir.path().join("authorized_keys");
    std::fs::write(&victim, "keep").unwrap();
    let path = dir.path().join("cache/x.json");
    create_private_dir(&dir.path().join("cache")).unwrap();
    symlink(&victim, &path).unwrap();
    write_private(&path, b"token").unwrap();
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
    assert!(std::fs::symlink_metadata(&path).unwrap().file_type().is_file());
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "token");
}

#[test]
fn private_reads_pass_over_links_fifos_foreign_files_and_open_folders() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    create_private_dir(&cache).unwrap();
    std::fs::write(dir.path().join("elsewhere"), "{}").unwrap();
    symlink(dir.path().join("elsewhere"), cache.join("link.json")).unwrap();
    let fifo = cache.join("fifo.json");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    std::fs::write(cache.join("foreign.json"), "{}").unwrap();
    hand_to_another_user(&cache.join("foreign.json"));
    std::fs::write(cache.join("mine.json"), "{}").unwrap();
    std::fs::write(cache.join("big.json"), "x".repeat(100)).unwrap();

    let read = |name: &str| read_private(&cache.join(name), 64).unwrap();
    assert_eq!(read("mine.json").as_deref(), Some(&b"{}"[..]));
    for name in ["link.json", "fifo.json", "foreign.json", "big.json", "missing.json"] {
        assert_eq!(read(name), None, "{name}");
    }
    let meta = |name: &str| std::fs::symlink_metadata(cache.join(name)).unwrap();
    assert_eq!(judge_file(&meta("link.json")), Some(Distrust::Symlink));
    assert_eq!(judge_file(&meta("fifo.json")), Some(Distrust::NotRegular { kind: "FIFO" }));
    assert_eq!(judge_file(&meta("foreign.json")), Some(Distrust::ForeignOwner { uid: 65534 }));
    assert_eq!(judge_file(&meta("mine.json")), None);

    chmod(&cache, 0o770);
    assert_eq!(read("mine.json"), None, "a group-writable folder is not trusted");
    let err = write_private(&cache.join("mine.json"), b"new").unwrap_err();
    assert!(
        matches!(
            &err,
            FileError::WriteRefused { why: Distrust::OpenFolder { mode: 0o770, .. }, .. }
        ),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(cache.join("mine.json")).unwrap(), "{}");
}

#[test]
fn capped_reads_refuse_links_and_fifos_and_stop_at_the_cap() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("environ");
    symlink("/proc/self/environ", &link).unwrap();
    assert_eq!(read_capped(&link, 4096).unwrap(), Capped::Refused(Distrust::Symlink));
    let fifo = dir.path().join("fifo");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    assert_eq!(
        read_capped(&fifo, 4096).unwrap(),
        Capped::Refused(Distrust::NotRegular { kind: "FIFO" })
    );
    // `/proc` files say they are empty and are read up to the cap only.
    assert_eq!(read_capped(Path::new("/proc/self/maps"), 16).unwrap(), Capped::TooLarge);
    assert_eq!(read_capped(&dir.path().join("none"), 16).unwrap(), Capped::Missing);
}

#[test]
fn backup_holds_the_previous_version() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config");
    let backup = dir.path().join("config.bak");
    write_atomic_with_backup(&path, &backup, b"one", 0o600).unwrap();
    assert!(!backup.exists(), "no backup of a file that did not exist");
    write_atomic_with_backup(&path, &backup, b"two", 0o600).unwrap();
    assert_eq!(std::fs::read_to_string(&backup).unwrap(), "one");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "two");
    assert_eq!(mode_of(&backup), 0o600);
}

#[test]
fn a_planted_backup_link_is_replaced_not_written_through() {
    let dir = tempfile::tempdir().unwrap();
    let victim = dir.path().join("authorized_keys");
    std::fs::write(&victim, "keep").unwrap();
    let path = dir.path().join("config");
    let backup = dir.path().join("config.bak");
    std::fs::write(&path, "one").unwrap();
    symlink(&victim, &backup).unwrap();
    write_atomic_with_backup(&path, &backup, b"two", 0o600).unwrap();
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
    assert!(std::fs::symlink_metadata(&backup).unwrap().file_type().is_file());
    assert_eq!(std::fs::read_to_string(&backup).unwrap(), "one");
}

#[test]
fn a_busy_lock_names_its_holder_and_times_out() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.lock");
    let held = FileLock::acquire(&path, Duration::from_secs(1), |_| {}).unwrap();
    let mut seen = None;
    let err = FileLock::acquire(&path, Duration::from_millis(50), |h| seen = Some(h)).unwrap_err();
    let me = LockHolder::Pid(std::process::id());
    assert_eq!(seen, Some(me));
    assert!(matches!(err, FileError::LockTimeout { holder, .. } if holder == me), "{err}");
    drop(held);
    FileLock::acquire(&path, Duration::from_millis(50), |_| {}).unwrap();
}

#[test]
fn a_planted_lock_link_is_refused_and_its_target_not_truncated() {
    let dir = tempfile::tempdir().unwrap();
    let victim = dir.path().join("victim");
    std::fs::write(&victim, "keep").unwrap();
    let path = dir.path().join("x.lock");
    symlink(&victim, &path).unwrap();
    let err = FileLock::acquire(&path, Duration::from_millis(50), |_| {}).unwrap_err();
    assert!(matches!(err, FileError::LockRefused { why: Distrust::Symlink, .. }), "{err}");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
}

//! Atomic writes and flock-style locks with a deadline.
//!
//! Every file awsctx writes goes through [`write_atomic`]: a temp file in the same directory,
//! fsync, rename, fsync of the directory. A reader sees the old bytes or the new ones, never a
//! mix, and a writer killed at any point leaves at most a stray temp file. Locks are
//! [`std::fs::File::lock`] (flock on Unix): the kernel drops them when the holder dies, so a
//! crashed process never blocks anyone.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// What went wrong with a file; every variant names the path.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("cannot create directory `{path}`: {source}")]
    CreateDir { path: PathBuf, source: std::io::Error },
    #[error("cannot write `{path}`: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error("cannot read `{path}`: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("`{path}` is locked by {holder} and did not come free within {waited:.0?}")]
    LockTimeout { path: PathBuf, holder: LockHolder, waited: Duration },
    #[error("cannot lock `{path}`: {source}")]
    Lock { path: PathBuf, source: std::io::Error },
}

/// Who holds a lock, as far as the lock file says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockHolder {
    Pid(u32),
    Unknown,
}

impl std::fmt::Display for LockHolder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Pid(pid) => write!(f, "pid {pid}"),
            Self::Unknown => f.write_str("another process"),
        }
    }
}

/// Create `dir` and its missing parents; directories created here get mode 0700.
pub fn create_private_dir(dir: &Path) -> Result<(), FileError> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|source| FileError::CreateDir { path: dir.to_owned(), source })
}

/// Follow `path` through symlinks to the file that really holds the bytes, so that a write
/// replaces the link's target and keeps the link (a dotfiles repo often links `~/.aws/config`).
pub fn resolve_symlinks(path: &Path) -> PathBuf {
    let mut current = path.to_owned();
    // A bounded walk: a link loop ends as "write to the last name seen".
    for _ in 0..40 {
        match std::fs::read_link(&current) {
            Ok(target) => {
                current = match current.parent() {
                    Some(parent) if target.is_relative() => parent.join(target),
                    _ => target,
                };
            }
            Err(_) => break,
        }
    }
    current
}

/// Replace `path` with `contents` atomically.
///
/// `mode` is the permission of a new file; an existing file keeps its own mode unless
/// `force_mode` is set (caches are always 0600, the user's config keeps what the user chose).
pub fn write_atomic(
    path: &Path,
    contents: &[u8],
    mode: u32,
    force_mode: bool,
) -> Result<(), FileError> {
    let target = resolve_symlinks(path);
    let dir = match target.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
        _ => PathBuf::from("."),
    };
    create_private_dir(&dir)?;
    let mode = match std::fs::metadata(&target) {
        Ok(meta) if !force_mode => meta.permissions().mode() & 0o7777,
        _ => mode,
    };
    let write_err = |source| FileError::Write { path: target.clone(), source };
    let temp = temp_path(&target);
    let result = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&temp)
            .map_err(write_err)?;
        // The umask may have narrowed `mode` at creation; set it exactly.
        file.set_permissions(std::fs::Permissions::from_mode(mode)).map_err(write_err)?;
        file.write_all(contents).map_err(write_err)?;
        file.sync_all().map_err(write_err)?;
        std::fs::rename(&temp, &target).map_err(write_err)?;
        // Make the rename itself durable.
        if let Ok(dir) = File::open(&dir) {
            let _ = dir.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

/// Like [`write_atomic`], but first keep the current content of `path` (if any) as `backup`,
/// itself written atomically, so the backup is always a whole earlier version.
pub fn write_atomic_with_backup(
    path: &Path,
    backup: &Path,
    contents: &[u8],
    mode: u32,
) -> Result<(), FileError> {
    let target = resolve_symlinks(path);
    match std::fs::read(&target) {
        Ok(previous) if previous != contents => write_atomic(backup, &previous, 0o600, false)?,
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(source) => return Err(FileError::Read { path: target, source }),
    }
    write_atomic(&target, contents, mode, false)
}

/// The name of the temp file for `target`: hidden, in the same directory, unique per process
/// and per call.
fn temp_path(target: &Path) -> PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let name = target.file_name().map_or_else(|| "file".into(), |n| n.to_string_lossy());
    let unique = COUNTER.fetch_add(1, Ordering::Relaxed);
    target.with_file_name(format!(".{name}.awsctx-{}-{unique}.tmp", std::process::id()))
}

/// An exclusive lock on a lock file, released when dropped (or when the process dies).
#[derive(Debug)]
pub struct FileLock {
    file: File,
    path: PathBuf,
}

impl FileLock {
    /// Take the lock at `path`, waiting at most `deadline`. `on_wait` is called once, with the
    /// holder, if the lock is busy at first, so the caller can say who it is waiting for.
    pub fn acquire(
        path: &Path,
        deadline: Duration,
        mut on_wait: impl FnMut(LockHolder),
    ) -> Result<Self, FileError> {
        if let Some(dir) = path.parent() {
            create_private_dir(dir)?;
        }
        let lock_err = |source| FileError::Lock { path: path.to_owned(), source };
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(path)
            .map_err(lock_err)?;
        let started = Instant::now();
        let mut pause = Duration::from_millis(5);
        let mut told = false;
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(std::fs::TryLockError::WouldBlock) => {
                    let holder = read_holder(&file);
                    if !told {
                        on_wait(holder);
                        told = true;
                    }
                    let waited = started.elapsed();
                    if waited >= deadline {
                        return Err(FileError::LockTimeout {
                            path: path.to_owned(),
                            holder,
                            waited,
                        });
                    }
                    std::thread::sleep(pause.min(deadline.saturating_sub(waited)));
                    pause = (pause * 2).min(Duration::from_millis(100));
                }
                Err(std::fs::TryLockError::Error(source)) => return Err(lock_err(source)),
            }
        }
        let mut lock = Self { file, path: path.to_owned() };
        lock.record_holder().map_err(lock_err)?;
        Ok(lock)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn record_holder(&mut self) -> std::io::Result<()> {
        self.file.set_len(0)?;
        self.file.seek(SeekFrom::Start(0))?;
        write!(self.file, "{}", std::process::id())?;
        self.file.flush()
    }
}

fn read_holder(mut file: &File) -> LockHolder {
    let mut text = String::new();
    if file.seek(SeekFrom::Start(0)).is_err() || file.read_to_string(&mut text).is_err() {
        return LockHolder::Unknown;
    }
    text.trim().parse().map_or(LockHolder::Unknown, LockHolder::Pid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_atomic_replaces_the_target_of_a_symlink_and_keeps_the_link() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real-config");
        let link = dir.path().join("config");
        std::fs::write(&real, "old").unwrap();
        std::os::unix::fs::symlink(&real, &link).unwrap();
        write_atomic(&link, b"new", 0o600, false).unwrap();
        assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        assert_eq!(std::fs::read_to_string(&real).unwrap(), "new");
    }

    #[test]
    fn write_atomic_keeps_an_existing_mode_unless_forced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, "x").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_atomic(&path, b"y", 0o600, false).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o640);
        write_atomic(&path, b"z", 0o600, true).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    }

    #[test]
    fn new_directories_are_private_and_no_temp_file_is_left() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b/token.json");
        write_atomic(&path, b"{}", 0o600, true).unwrap();
        let mode = std::fs::metadata(dir.path().join("a/b")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
        let names: Vec<_> = std::fs::read_dir(dir.path().join("a/b")).unwrap().collect();
        assert_eq!(names.len(), 1);
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
    }

    #[test]
    fn a_busy_lock_names_its_holder_and_times_out() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.lock");
        let held = FileLock::acquire(&path, Duration::from_secs(1), |_| {}).unwrap();
        let mut seen = None;
        let err =
            FileLock::acquire(&path, Duration::from_millis(50), |h| seen = Some(h)).unwrap_err();
        let me = LockHolder::Pid(std::process::id());
        assert_eq!(seen, Some(me));
        assert!(matches!(err, FileError::LockTimeout { holder, .. } if holder == me), "{err}");
        drop(held);
        FileLock::acquire(&path, Duration::from_millis(50), |_| {}).unwrap();
    }
}

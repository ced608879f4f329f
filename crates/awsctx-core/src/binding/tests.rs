use std::os::unix::fs::PermissionsExt;

use super::*;

fn state() -> (tempfile::TempDir, StateDir) {
    let dir = tempfile::tempdir().unwrap();
    let state = StateDir::new(dir.path().join("state"));
    (dir, state)
}

#[test]
fn nearest_binding_wins_and_a_pin_beats_a_file_at_the_same_level() {
    let (tmp, _) = state();
    let repo = tmp.path().join("repo");
    let sub = repo.join("svc/api");
    std::fs::create_dir_all(&sub).unwrap();
    std::fs::write(repo.join(PROFILE_FILE), "# the repo's account\n\n  dev  \n").unwrap();
    let mut pins = Pins::default();
    let trust = TrustStore::default();

    let found = find_binding(&sub, &pins, &trust).unwrap().unwrap();
    assert_eq!(found.profile, "dev");
    assert_eq!(found.root, repo);
    assert!(matches!(found.source, BindingSource::File { trust: Trust::Unknown, .. }));

    pins.insert(repo.join("svc"), BoundProfile::named("staging"));
    let found = find_binding(&sub, &pins, &trust).unwrap().unwrap();
    assert_eq!((found.profile.as_str(), found.source), ("staging", BindingSource::Pin));

    pins.insert(repo.clone(), BoundProfile::named("prod"));
    let found = find_binding(&repo, &pins, &trust).unwrap().unwrap();
    assert_eq!(found.source, BindingSource::Pin);
    assert_eq!(find_binding(tmp.path(), &pins, &trust).unwrap(), None);
}

#[test]
fn pins_and_trust_survive_a_round_trip_through_the_state_dir() {
    let (_tmp, state) = state();
    state
        .update_pins(|p| p.insert(PathBuf::from("/work/a b\n"), BoundProfile::named("dev")))
        .unwrap();
    let full = BoundProfile {
        profile: "prod".into(),
        region: Some("us-east-1".into()),
        account: Some("444455556666".into()),
    };
    state.update_pins(|p| p.insert(PathBuf::from("/prod"), full.clone())).unwrap();
    let text = std::fs::read_to_string(state.pins_path()).unwrap();
    assert!(text.contains("\"/work/a b\\n\": \"dev\""), "a plain pin stays a name: {text}");
    assert_eq!(state.load_pins().unwrap().get(Path::new("/prod")), Some(&full));
    state.update_trust(|t| t.allow(Path::new("/r/.aws-profile"), b"x")).unwrap();
    assert_eq!(
        state.load_pins().unwrap().get(Path::new("/work/a b\n")).map(|b| b.profile.as_str()),
        Some("dev")
    );
    assert_eq!(
        state.load_trust().unwrap().check(Path::new("/r/.aws-profile"), b"x"),
        Trust::Allowed
    );
    let mode = std::fs::metadata(state.pins_path()).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn hostile_profile_files_are_refused_with_the_reason() {
    let path = Path::new("/r/.aws-profile");
    assert!(matches!(
        parse_profile_file(path, b"# only a comment\n\n"),
        Err(BindingError::EmptyProfileFile { .. })
    ));
    assert!(matches!(
        parse_profile_file(path, b"dev\x1b[31m\n"),
        Err(BindingError::InvalidProfileName { .. })
    ));
    assert_eq!(
        parse_profile_file(path, b"$(touch pwned)'\"`;\n").unwrap().profile,
        "$(touch pwned)'\"`;"
    );
    assert!(matches!(
        parse_profile_file(path, b"dev\nregion = eu-west-1; rm -rf\n"),
        Err(BindingError::InvalidSetting { .. })
    ));
    assert!(matches!(
        parse_profile_file(path, b"dev\nacount = 444455556666\n"),
        Err(BindingError::InvalidSetting { .. })
    ));
}

#[test]
fn a_profile_file_may_name_a_region_and_an_account_and_old_files_still_read() {
    let path = Path::new("/r/.aws-profile");
    let bound = parse_profile_file(
        path,
        b"# the team's account\nprod-ro\n\nregion = eu-central-1\naccount=444455556666\n",
    )
    .unwrap();
    assert_eq!(
        bound,
        BoundProfile {
            profile: "prod-ro".into(),
            region: Some("eu-central-1".into()),
            account: Some("444455556666".into())
        }
    );
    let old = parse_profile_file(path, b"dev\nthe staging account, ask #ops\n").unwrap();
    assert_eq!(old, BoundProfile::named("dev"));
}

#[test]
fn corrupt_state_is_an_error_naming_the_file_not_a_panic() {
    let (_tmp, state) = state();
    write_private(&state.pins_path(), b"{not json").unwrap();
    let err = state.load_pins().unwrap_err();
    assert!(err.to_string().contains("pins.json"), "{err}");
}

#[test]
fn a_change_leaves_one_marker_named_by_the_new_line_and_removes_the_stale_ones() {
    let (_tmp, state) = state();
    state.note_change();
    let markers = state.markers_path();
    std::fs::write(markers.join("notes.txt"), "the user's own").unwrap();
    for n in 0..1000 {
        std::fs::write(markers.join(format!("{n}-1")), "").unwrap();
    }
    state.note_change();
    let line = state.changes_seen();
    let mut names: Vec<String> = std::fs::read_dir(&markers)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, [line.clone(), "notes.txt".to_owned()]);
    assert!(is_marker_name(&line), "{line:?}");
    assert_eq!(std::fs::metadata(&markers).unwrap().permissions().mode() & 0o777, 0o700);
}

#[test]
fn a_linked_markers_folder_counts_as_missing_and_nothing_is_written_through_it() {
    let (tmp, state) = state();
    let elsewhere = tmp.path().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    std::fs::write(elsewhere.join("1-1"), "").unwrap();
    std::fs::create_dir_all(state.path()).unwrap();
    std::os::unix::fs::symlink(&elsewhere, state.markers_path()).unwrap();
    state.note_change();
    assert!(!state.changes_seen().is_empty(), "the line is written all the same");
    let names: Vec<_> =
        std::fs::read_dir(&elsewhere).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, ["1-1"]);
    assert!(!is_marker_name("../1") && !is_marker_name("") && !is_marker_name("1/2"));
}

#[test]
fn state_dir_follows_xdg_then_home() {
    let env = Env::from_pairs([("HOME", "/home/u"), ("XDG_STATE_HOME", "/xdg")]);
    assert_eq!(StateDir::from_env(&env).unwrap().path(), Path::new("/xdg/awsctx"));
    let env = Env::from_pairs([("HOME", "/home/u"), ("XDG_STATE_HOME", "relative")]);
    assert_eq!(StateDir::from_env(&env).unwrap().path(), Path::new("/home/u/.local/state/awsctx"));
    assert!(StateDir::from_env(&Env::default()).is_err());
}

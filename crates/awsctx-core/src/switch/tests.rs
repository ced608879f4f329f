use jiff::Timestamp;

use super::*;
use crate::binding::{PROFILE_FILE, Pins, TrustStore};
use crate::cache::RoleCredentials;
use crate::secret::Secret;
use crate::shell::EnvChange;

fn bound(root: &str, profile: &str) -> ActiveBinding {
    ActiveBinding { root: root.into(), profile: profile.into(), region: None, origin: Origin::Pin }
}

fn switch(profile: &str, origin: Origin) -> Action {
    Action::Switch { profile: profile.into(), origin, region: None }
}

/// Apply an action the way the binary does (keys aside).
fn apply(state: &mut ShellState, env: &Env, action: &Action) {
    match action {
        Action::Stay => {}
        Action::Switch { profile, origin, region } => {
            state.switched(env, profile, region.as_deref(), *origin);
        }
        Action::Restore => {
            state.restored(env);
        }
    }
}

#[test]
fn entering_and_leaving_a_bound_tree_restores_the_profile_before_it() {
    let env = Env::default();
    let mut s = ShellState::default();
    let a = s.choose(Path::new("/home"), None, "prod", None);
    apply(&mut s, &env, &a);
    let repo = bound("/home/repo", "dev");
    let a = s.arrive(Path::new("/home/repo/src"), Some(&repo));
    assert_eq!(a, switch("dev", Origin::Pin));
    apply(&mut s, &env, &a);
    assert_eq!(s.restore.as_deref(), Some("prod"));
    assert_eq!(s.arrive(Path::new("/home/repo"), Some(&repo)), Action::Stay);
    let a = s.arrive(Path::new("/home"), None);
    assert_eq!(a, switch("prod", Origin::Command));
    apply(&mut s, &env, &a);
    assert_eq!((s.bound.as_ref(), s.restore.as_ref()), (None, None));
    assert_eq!(s.prev.as_deref(), Some("dev"));
}

#[test]
fn leaving_a_bound_tree_entered_with_nothing_restores_the_users_own_values() {
    let env = Env::from_pairs([("AWS_PROFILE", "mine"), ("AWS_REGION", "")]);
    let mut s = ShellState::default();
    let a = s.arrive(Path::new("/r"), Some(&bound("/r", "dev")));
    apply(&mut s, &env, &a);
    assert_eq!(s.saved.as_ref().unwrap().get("AWS_PROFILE"), Some("mine"));
    assert_eq!(s.arrive(Path::new("/"), None), Action::Restore);
    let env_now = Env::from_pairs([("AWS_PROFILE", "dev"), ("AWS_REGION", "eu-west-1")]);
    let changes = s.restored(&env_now);
    assert_eq!(
        changes,
        vec![EnvChange::set("AWS_PROFILE", "mine"), EnvChange::set("AWS_REGION", "")]
    );
    assert_eq!((s.profile.as_ref(), s.saved.as_ref()), (None, None));
}

#[test]
fn a_manual_switch_wins_until_the_shell_leaves_its_directory() {
    let env = Env::default();
    let repo = bound("/r", "dev");
    let mut s = ShellState::default();
    let a = s.arrive(Path::new("/r"), Some(&repo));
    apply(&mut s, &env, &a);
    let a = s.choose(Path::new("/r/a"), Some(&repo), "prod", None);
    apply(&mut s, &env, &a);
    assert_eq!(s.manual.as_deref(), Some(Path::new("/r/a")));
    assert_eq!(s.arrive(Path::new("/r/a/deeper"), Some(&repo)), Action::Stay);
    // A nearer binding inside the manual directory is a new decision.
    let inner = bound("/r/a/svc", "staging");
    assert_eq!(
        s.clone().arrive(Path::new("/r/a/svc"), Some(&inner)),
        switch("staging", Origin::Pin)
    );
    // Leaving the manual directory inside the same tree: the binding again.
    let a = s.arrive(Path::new("/r/b"), Some(&repo));
    assert_eq!(a, switch("dev", Origin::Pin));
    assert_eq!(s.manual, None);
}

#[test]
fn a_region_goes_with_its_profile_to_dash_and_to_the_restore_after_a_bound_tree() {
    let env = Env::default();
    let mut s = ShellState::default();
    let a = s.choose(Path::new("/"), None, "dev", Some("us-west-2"));
    apply(&mut s, &env, &a);
    assert_eq!(s.region.as_deref(), Some("us-west-2"));
    // The same profile in another region is a switch `-` can undo.
    let a = s.choose(Path::new("/"), None, "dev", None);
    apply(&mut s, &env, &a);
    assert_eq!((s.prev.as_deref(), s.prev_region.as_deref()), (Some("dev"), Some("us-west-2")));
    let a = s.choose(Path::new("/"), None, "dev", Some("us-west-2"));
    apply(&mut s, &env, &a);
    // A binding with a region of its own; leaving it brings back dev in us-west-2.
    let repo = ActiveBinding { region: Some("eu-central-1".into()), ..bound("/r", "dev") };
    let a = s.arrive(Path::new("/r"), Some(&repo));
    assert_eq!(
        a,
        Action::Switch {
            profile: "dev".into(),
            origin: Origin::Pin,
            region: Some("eu-central-1".into())
        }
    );
    apply(&mut s, &env, &a);
    assert_eq!(s.arrive(Path::new("/r/x"), Some(&repo)), Action::Stay);
    let a = s.arrive(Path::new("/"), None);
    assert_eq!(
        a,
        Action::Switch {
            profile: "dev".into(),
            origin: Origin::Command,
            region: Some("us-west-2".into())
        }
    );
    apply(&mut s, &env, &a);
    // -u forgets the region with the profile; `-` brings both back.
    let a = s.unset(Path::new("/"), None);
    apply(&mut s, &env, &a);
    assert_eq!((s.region.as_ref(), s.prev_region.as_deref()), (None, Some("us-west-2")));
}

#[test]
fn unset_inside_a_bound_tree_sticks_until_leaving_and_leaving_restores_nothing() {
    let env = Env::default();
    let repo = bound("/r", "dev");
    let mut s = ShellState::default();
    let a = s.choose(Path::new("/"), None, "prod", None);
    apply(&mut s, &env, &a);
    let a = s.arrive(Path::new("/r"), Some(&repo));
    apply(&mut s, &env, &a);
    let a = s.unset(Path::new("/r"), Some(&repo));
    assert_eq!(a, Action::Restore);
    apply(&mut s, &env, &a);
    assert_eq!(s.arrive(Path::new("/r/sub"), Some(&repo)), Action::Stay);
    assert_eq!(s.arrive(Path::new("/"), None), Action::Stay);
    assert_eq!(s.profile, None);
    assert_eq!(s.prev.as_deref(), Some("dev"));
}

#[test]
fn state_round_trips_through_the_environment_and_only_changes_are_printed() {
    let mut s = ShellState {
        pwd: Some("/a b/'$(x)'\n".into()),
        pins: Some(String::new()),
        due: Some(1_700_000_000),
        profile: Some("dev".into()),
        origin: Some(Origin::File),
        saved: Some(SavedEnv::capture(&Env::from_pairs([("AWS_REGION", "x\"y")]))),
        ..ShellState::default()
    };
    assert!(s.warn_once("a") && s.warn_once("b") && !s.warn_once("a"));
    let changes = s.changes_since(&ShellState::default());
    let env = Env::from_pairs(changes.iter().map(|c| match c {
        EnvChange::SetLocal { name, value } => (name.clone(), value.clone()),
        other => panic!("the state is never exported nor unset from nothing: {other:?}"),
    }));
    let back = ShellState::from_env(&env);
    assert_eq!(back, s);
    let before = s.clone();
    s.due = None;
    assert_eq!(s.changes_since(&before), vec![EnvChange::unset(var::DUE)]);
}

#[test]
fn profile_env_unsets_keys_it_cannot_have_and_falls_back_to_the_users_region() {
    let env = Env::from_pairs([
        ("AWS_PROFILE", "old"),
        ("AWS_ACCESS_KEY_ID", "AKOLD"),
        ("AWS_SECRET_ACCESS_KEY", "old"),
        ("AWS_REGION", "ap-south-1"),
    ]);
    let saved = SavedEnv::capture(&Env::from_pairs([("AWS_REGION", "mine")]));
    let target = ProfileEnv { profile: "dev", region: None, keys: None };
    let changes = managed_changes(ExportMode::Both, &target, &saved, &env);
    assert_eq!(
        changes,
        vec![
            EnvChange::set("AWS_PROFILE", "dev"),
            EnvChange::unset("AWS_ACCESS_KEY_ID"),
            EnvChange::unset("AWS_SECRET_ACCESS_KEY"),
            EnvChange::set("AWS_REGION", "mine"),
        ]
    );
    let keys = RoleCredentials::new(
        "AKNEW",
        Secret::new("s"),
        Some(Secret::new("t")),
        Some("2030-01-01T00:00:00Z".parse().unwrap()),
    )
    .unwrap();
    let target = ProfileEnv { profile: "dev", region: Some("us-east-1"), keys: Some(&keys) };
    let changes = managed_changes(ExportMode::Keys, &target, &saved, &env);
    assert!(changes.contains(&EnvChange::unset("AWS_PROFILE")));
    assert!(
        changes.contains(&EnvChange::set("AWS_CREDENTIAL_EXPIRATION", "2030-01-01T00:00:00+00:00"))
    );
    assert!(changes.contains(&EnvChange::set("AWS_DEFAULT_REGION", "us-east-1")));
    let changes = managed_changes(ExportMode::Profile, &target, &saved, &env);
    assert!(changes.contains(&EnvChange::unset("AWS_ACCESS_KEY_ID")));
    assert!(!changes.iter().any(|c| c.name() == "AWS_SESSION_TOKEN"));
}

#[test]
fn refresh_is_due_fifteen_minutes_early_but_never_in_a_loop() {
    let now: Timestamp = "2030-01-01T00:00:00Z".parse().unwrap();
    let exp: Timestamp = "2030-01-01T01:00:00Z".parse().unwrap();
    assert_eq!(refresh_due(exp, now, 60), exp.as_second() - 900);
    let soon: Timestamp = "2030-01-01T00:05:00Z".parse().unwrap();
    assert_eq!(refresh_due(soon, now, 60), now.as_second() + 60);
    let just_outside: Timestamp = "2030-01-01T00:15:03Z".parse().unwrap();
    assert_eq!(refresh_due(just_outside, now, 60), now.as_second() + 3);
}

#[test]
fn export_mode_is_read_from_awsctx_export() {
    assert_eq!(ExportMode::from_env(&Env::default()), Ok(ExportMode::Both));
    let env = Env::from_pairs([("AWSCTX_EXPORT", "keys")]);
    assert_eq!(ExportMode::from_env(&env), Ok(ExportMode::Keys));
    let env = Env::from_pairs([("AWSCTX_EXPORT", "all")]);
    assert!(ExportMode::from_env(&env).unwrap_err().to_string().contains("`AWSCTX_EXPORT=all`"));
}

#[test]
fn saved_env_debug_hides_values() {
    let saved = SavedEnv::capture(&Env::from_pairs([("AWS_SECRET_ACCESS_KEY", "hunter2")]));
    assert!(!format!("{saved:?}").contains("hunter2"));
    assert_eq!(SavedEnv::decode(&saved.encode()), Some(saved));
    assert_eq!(SavedEnv::decode(r#"{"PATH":"x"}"#), None);
}

#[test]
fn a_binding_expecting_another_account_is_refused() {
    let mut pins = Pins::default();
    let bound = |account: &str| BoundProfile {
        account: Some(account.into()),
        ..BoundProfile::named("prod")
    };
    let known = |_: &str| Some(KnownProfile { account: Some("444455556666".into()) });
    pins.insert("/r".into(), bound("444455556666"));
    let trust = TrustStore::default();
    let r = resolve_binding(Path::new("/r/x"), &pins, &trust, known);
    assert_eq!(r.binding.unwrap().profile, "prod");
    pins.insert("/r".into(), bound("111122223333"));
    let r = resolve_binding(Path::new("/r/x"), &pins, &trust, known);
    assert_eq!(r.binding, None);
    assert!(matches!(
        &r.skipped[..],
        [Skipped::WrongAccount { expected, actual: Some(actual), .. }]
            if expected == "111122223333" && actual == "444455556666"
    ));
    // A profile that does not say its account cannot be checked: refused too.
    let r =
        resolve_binding(Path::new("/r"), &pins, &trust, |_| Some(KnownProfile { account: None }));
    assert!(matches!(&r.skipped[..], [Skipped::WrongAccount { actual: None, .. }]));
}

#[test]
fn resolution_skips_untrusted_denied_and_unknown_bindings_and_goes_on_upward() {
    let tmp = tempfile::tempdir().unwrap();
    let outer = tmp.path().join("outer");
    let inner = outer.join("inner");
    std::fs::create_dir_all(&inner).unwrap();
    std::fs::write(inner.join(PROFILE_FILE), "prod\n").unwrap();
    let mut pins = Pins::default();
    pins.insert(outer.clone(), BoundProfile::named("dev"));
    let mut trust = TrustStore::default();
    let known = |p: &str| {
        (p == "dev" || p == "prod").then(|| KnownProfile { account: Some(format!("{p}-account")) })
    };

    let r = resolve_binding(&inner, &pins, &trust, known);
    assert_eq!(r.binding.as_ref().unwrap().profile, "dev");
    assert!(matches!(&r.skipped[..], [Skipped::Untrusted { profile, .. }] if profile == "prod"));

    trust.allow(&inner.join(PROFILE_FILE), b"prod\n");
    let r = resolve_binding(&inner, &pins, &trust, known);
    assert_eq!(r.binding.unwrap().origin, Origin::File);

    let r = resolve_binding(&inner, &pins, &trust, |p| {
        (p == "dev").then_some(KnownProfile { account: None })
    });
    assert!(matches!(&r.skipped[..], [Skipped::UnknownProfile { file: Some(_), .. }]));

    trust.deny(&inner.join(PROFILE_FILE));
    let r = resolve_binding(&inner, &pins, &trust, known);
    assert!(matches!(&r.skipped[..], [Skipped::Denied { .. }]));
    assert_eq!(r.binding.unwrap().root, outer);
}

#[test]
fn messages_are_remembered_as_short_hashes_and_only_the_newest_are_kept() {
    let mut s = ShellState::default();
    let long = "untrusted:/repo/.aws-profile:".to_owned() + &"p".repeat(4000);
    assert!(s.warn_once(&long));
    assert!(!s.warn_once(&long));
    assert_eq!(s.warned.len(), 1);
    assert_eq!(s.warned[0].len(), HASH_DIGITS, "a hash, not the message");
    for n in 0..MAX_WARNED {
        assert!(s.warn_once(&format!("other:{n}")));
    }
    assert_eq!(s.warned.len(), MAX_WARNED);
    assert!(s.warn_once(&long), "the oldest was forgotten");
    // Seen again, a marker becomes the newest: `other:1` outlives `other:2` now.
    assert!(!s.warn_once("other:1"));
    assert!(s.warn_once("again") && !s.warn_once("other:1") && s.warn_once("other:2"));
    s.forget_warning("other:1");
    assert!(s.warn_once("other:1"));
    // An older hook's whole messages are dropped when read back.
    let env = Env::from_pairs([(var::WARNED, format!("expired:corp\n{}", s.warned[0]))]);
    assert_eq!(ShellState::from_env(&env).warned, [s.warned[0].clone()]);
}

#[test]
fn the_state_stays_within_its_bound_by_dropping_what_the_hook_can_rebuild() {
    let deep: PathBuf = format!("{}/end", "/d".repeat(2000)).into();
    let pins = (0..400).map(|n| format!("/pinned/{n}")).collect::<Vec<_>>().join("\n");
    let mut s = ShellState {
        pwd: Some(deep.clone()),
        pins: Some(pins),
        bound: Some(deep.clone()),
        manual: Some(deep.clone()),
        ..ShellState::default()
    };
    let vars = s.vars();
    assert!(s.fits(), "{} bytes", s.size());
    assert_eq!(vars[var::PWD].len(), 1 + HASH_DIGITS, "a long $PWD is kept as a hash");
    assert!(!vars.contains_key(var::PINS), "too many pins: the hook asks the binary");
    assert_eq!(vars[var::BOUND], deep.to_string_lossy(), "fits as it is");
    // The user's own values take room: long directories shrink to hashes first.
    s.saved = Some(SavedEnv::capture(&Env::from_pairs([("AWS_SESSION_TOKEN", "t".repeat(2000))])));
    let vars = s.vars();
    assert!(s.fits(), "{} bytes", s.size());
    assert_eq!(vars[var::MANUAL].len(), 1 + HASH_DIGITS);
    // A manual switch kept as a hash still holds below its directory.
    let repo = bound("/d", "dev");
    let mut back = ShellState::from_env(&Env::from_pairs(vars.clone()));
    assert_eq!(back.arrive(&deep.join("x"), Some(&repo)), Action::Stay);
    assert_eq!(back.manual.as_deref(), Some(deep.as_path()));
    let mut back = ShellState::from_env(&Env::from_pairs(vars));
    assert_eq!(back.arrive(Path::new("/d/e"), Some(&repo)), switch("dev", Origin::Pin));
    // Only the user's own values can keep it from fitting: that switch is refused.
    s.saved = Some(SavedEnv::capture(&Env::from_pairs([("AWS_SESSION_TOKEN", "t".repeat(8000))])));
    assert!(!s.fits());
    assert!(s.size() > STATE_BOUND);
}

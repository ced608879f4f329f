//! The hook's state against hostile repositories: whatever `.aws-profile` bytes, directory
//! names and pin lists a shell walks through, the state it carries stays within its bound and
//! holds no file contents.

use std::path::{Path, PathBuf};

use awsctx_core::binding::{PROFILE_FILE, Pins, TrustStore};
use awsctx_core::env::Env;
use awsctx_core::shell::EnvChange;
use awsctx_core::switch::{Action, STATE_BOUND, ShellState, pins_list, resolve_binding, var};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

/// A directory name a repository could hold: any characters but `/` and NUL.
fn dir_name() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z]{1,8}",
        "[^/\u{0}]{1,40}",
        Just("\n".to_owned()),
        Just(" $(touch pwned) ".to_owned()),
        Just("x".repeat(200)),
    ]
}

/// What a repository could put in an `.aws-profile`: anything up to the size the binding search
/// still reads, mostly one long line.
fn profile_bytes() -> impl Strategy<Value = Option<Vec<u8>>> {
    prop_oneof![
        Just(None),
        prop::collection::vec(any::<u8>(), 0..64).prop_map(Some),
        (1..4000_usize).prop_map(|n| Some(format!("{}\n", "p".repeat(n)).into_bytes())),
        Just(Some(b"dev\n".to_vec())),
        Just(Some(b"# team\n\x1b[31mprod\n".to_vec())),
    ]
}

/// One level of the repository: its directory name, its `.aws-profile`, whether the user
/// allowed that file, and whether they pinned the directory (to which profile).
type Level = (String, Option<Vec<u8>>, bool, Option<String>);

fn level() -> impl Strategy<Value = Level> {
    (
        dir_name(),
        profile_bytes(),
        any::<bool>(),
        prop::option::weighted(0.2, prop_oneof![Just("dev".to_owned()), "[^\u{0}]{1,300}"]),
    )
}

/// `NAME=value` bytes of the state variables `changes` set.
fn rendered_size(changes: &[EnvChange]) -> usize {
    changes
        .iter()
        .map(|c| match c {
            EnvChange::SetLocal { name, value } | EnvChange::Set { name, value } => {
                name.len() + 1 + value.len()
            }
            EnvChange::Unset { .. } => 0,
        })
        .sum()
}

/// What `hook-env` does to the state on arriving in `dir` (keys aside).
fn arrive(state: &mut ShellState, dir: &Path, pins: &Pins, trust: &TrustStore, env: &Env) {
    let resolution = resolve_binding(dir, pins, trust, |p| {
        (p == "dev").then_some(awsctx_core::switch::KnownProfile { account: None })
    });
    state.pins = Some(pins_list(pins));
    for marker in resolution.skipped.iter().filter_map(awsctx_core::switch::Skipped::marker) {
        state.warn_once(&marker);
    }
    if let Action::Switch { profile, origin, region } =
        state.arrive(dir, resolution.binding.as_ref())
    {
        state.switched(env, &profile, region.as_deref(), origin);
    }
}

#[test]
fn hostile_repositories_and_pins_never_grow_the_state_past_its_bound() {
    let mut runner =
        TestRunner::new(Config { cases: 24, failure_persistence: None, ..Config::default() });
    let strategy = (
        prop::collection::vec(level(), 1..40),
        prop::collection::vec(("/[^\u{0}]{1,200}", "[^\u{0}]{1,60}"), 0..80),
    );
    // The user's own values, saved for `awsctx -u`, take their share too.
    let env = Env::from_pairs([
        ("AWS_PROFILE", "mine"),
        ("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE"),
        ("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
        ("AWS_SESSION_TOKEN", &"IQoJb3JpZ2luX2VjE".repeat(60)),
    ]);
    let result = runner.run(&strategy, |(levels, extra_pins)| {
        let tmp = tempfile::tempdir().unwrap();
        let mut dir = tmp.path().to_owned();
        let mut dirs: Vec<PathBuf> = Vec::new();
        let (mut pins, mut trust) = (Pins::default(), TrustStore::default());
        for (name, bytes, allowed, pin) in &levels {
            let next = dir.join(name);
            // Deeper than the system lets a path be: the repository stops here.
            if next.as_os_str().len() > 3500 || std::fs::create_dir(&next).is_err() {
                break;
            }
            dir = next;
            if let Some(bytes) = bytes {
                let file = dir.join(PROFILE_FILE);
                std::fs::write(&file, bytes).unwrap();
                if *allowed {
                    trust.allow(&file, bytes);
                }
            }
            if let Some(profile) = pin {
                pins.insert(dir.clone(), profile.as_str().into());
            }
            dirs.push(dir.clone());
        }
        for (path, profile) in extra_pins {
            pins.insert(path.into(), profile.as_str().into());
        }
        // Down the whole tree and back up, as a shell would walk it.
        let mut state = ShellState::default();
        let top = tmp.path().to_owned();
        let walk = dirs.iter().chain(dirs.iter().rev()).chain([&top]);
        for here in walk {
            let before = state.clone();
            arrive(&mut state, here, &pins, &trust, &env);
            prop_assert!(state.size() <= STATE_BOUND, "{} bytes", state.size());
            let all = state.changes_since(&ShellState::default());
            prop_assert!(rendered_size(&all) <= STATE_BOUND, "{} bytes", rendered_size(&all));
            for change in state.changes_since(&before) {
                let kept_local =
                    matches!(change, EnvChange::SetLocal { .. } | EnvChange::Unset { .. });
                prop_assert!(kept_local, "exported: {:?}", change);
                if let EnvChange::SetLocal { name, value } = &change {
                    prop_assert!(name.starts_with("_AWSCTX_"));
                    prop_assert!(!value.contains("ppppppppp"), "file contents in {}", name);
                }
            }
            // What the shell holds reads back as the same state.
            let vars: Vec<(String, String)> = all
                .iter()
                .filter_map(|c| match c {
                    EnvChange::SetLocal { name, value } => Some((name.clone(), value.clone())),
                    _ => None,
                })
                .collect();
            let back = ShellState::from_env(&Env::from_pairs(vars));
            prop_assert_eq!(back.warned, state.warned.clone());
            prop_assert_eq!(back.profile, state.profile.clone());
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    // The names the state uses are the ones the hooks look for.
    assert!(var::ALL.iter().all(|v| v.starts_with("_AWSCTX_")));
}

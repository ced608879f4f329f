//! Every rule for where the two shared files are and which profile is selected
//! (`docs/file-formats.md`), one hand-written case each, so a clone without the upstream
//! conformance data still checks them.

use std::path::Path;

use awsctx_core::config::ConfigPaths;
use awsctx_core::env::Env;
use awsctx_core::facts::selected_profile;

/// A rule, the environment (and whether it is read as on Windows), and the two paths it
/// gives, or the start of the error.
struct Case {
    rule: &'static str,
    env: &'static [(&'static str, &'static str)],
    windows: bool,
    expect: Result<(&'static str, &'static str), &'static str>,
}

const CASES: &[Case] = &[
    Case {
        rule: "by default both files are under `~/.aws`, `~` being `HOME`",
        env: &[("HOME", "/home/ana")],
        windows: false,
        expect: Ok(("/home/ana/.aws/config", "/home/ana/.aws/credentials")),
    },
    Case {
        rule: "`AWS_CONFIG_FILE` moves the config file only",
        env: &[("HOME", "/home/ana"), ("AWS_CONFIG_FILE", "/etc/aws/config")],
        windows: false,
        expect: Ok(("/etc/aws/config", "/home/ana/.aws/credentials")),
    },
    Case {
        rule: "`AWS_SHARED_CREDENTIALS_FILE` moves the credentials file only",
        env: &[("HOME", "/home/ana"), ("AWS_SHARED_CREDENTIALS_FILE", "/run/keys")],
        windows: false,
        expect: Ok(("/home/ana/.aws/config", "/run/keys")),
    },
    Case {
        rule: "an empty variable counts as unset",
        env: &[("HOME", "/home/ana"), ("AWS_CONFIG_FILE", ""), ("AWS_SHARED_CREDENTIALS_FILE", "")],
        windows: false,
        expect: Ok(("/home/ana/.aws/config", "/home/ana/.aws/credentials")),
    },
    Case {
        rule: "a leading `~/` in a variable is the home directory",
        env: &[("HOME", "/home/ana"), ("AWS_CONFIG_FILE", "~/dotfiles/aws")],
        windows: false,
        expect: Ok(("/home/ana/dotfiles/aws", "/home/ana/.aws/credentials")),
    },
    Case {
        rule: "`~` alone is the home directory",
        env: &[("HOME", "/home/ana"), ("AWS_SHARED_CREDENTIALS_FILE", "~")],
        windows: false,
        expect: Ok(("/home/ana/.aws/config", "/home/ana")),
    },
    Case {
        rule: "`~name` is not expanded: only `~` as the whole first component is",
        env: &[("HOME", "/home/ana"), ("AWS_CONFIG_FILE", "~bob/config")],
        windows: false,
        expect: Ok(("~bob/config", "/home/ana/.aws/credentials")),
    },
    Case {
        rule: "a relative path is kept as it is",
        env: &[("HOME", "/home/ana"), ("AWS_CONFIG_FILE", "conf/aws")],
        windows: false,
        expect: Ok(("conf/aws", "/home/ana/.aws/credentials")),
    },
    Case {
        rule: "a `HOME` ending in `/` gives no double slash",
        env: &[("HOME", "/home/ana/")],
        windows: false,
        expect: Ok(("/home/ana/.aws/config", "/home/ana/.aws/credentials")),
    },
    Case {
        rule: "without a home directory, a path that needs one is an error",
        env: &[("AWS_CONFIG_FILE", "/etc/aws/config")],
        windows: false,
        expect: Err("cannot locate the AWS credentials file: no home directory"),
    },
    Case {
        rule: "without a home directory, two absolute variables need none",
        env: &[("AWS_CONFIG_FILE", "/c"), ("AWS_SHARED_CREDENTIALS_FILE", "/k")],
        windows: false,
        expect: Ok(("/c", "/k")),
    },
    Case {
        rule: "outside Windows `USERPROFILE` is not a home directory",
        env: &[("USERPROFILE", "/home/ana")],
        windows: false,
        expect: Err("cannot locate the AWS config file: no home directory"),
    },
    Case {
        rule: "on Windows `HOME` comes first, and the expanded part takes `\\`",
        env: &[("HOME", "C:\\home"), ("USERPROFILE", "C:\\Users\\ana")],
        windows: true,
        expect: Ok(("C:\\home\\.aws\\config", "C:\\home\\.aws\\credentials")),
    },
    Case {
        rule: "on Windows without `HOME`, `USERPROFILE`",
        env: &[("USERPROFILE", "C:\\Users\\ana"), ("HOMEDRIVE", "D:"), ("HOMEPATH", "\\ana")],
        windows: true,
        expect: Ok(("C:\\Users\\ana\\.aws\\config", "C:\\Users\\ana\\.aws\\credentials")),
    },
    Case {
        rule: "on Windows without either, `HOMEDRIVE` followed by `HOMEPATH`",
        env: &[("HOMEDRIVE", "D:"), ("HOMEPATH", "\\ana")],
        windows: true,
        expect: Ok(("D:\\ana\\.aws\\config", "D:\\ana\\.aws\\credentials")),
    },
    Case {
        rule: "on Windows `~\\` is expanded too, and `/` in the rest becomes `\\`",
        env: &[("USERPROFILE", "C:\\Users\\ana"), ("AWS_CONFIG_FILE", "~\\aws/config")],
        windows: true,
        expect: Ok(("C:\\Users\\ana\\aws\\config", "C:\\Users\\ana\\.aws\\credentials")),
    },
];

#[test]
fn every_location_rule_gives_its_paths() {
    let mut failures = Vec::new();
    for case in CASES {
        let env = Env::from_pairs(case.env.iter().copied()).for_windows(case.windows);
        let got = match ConfigPaths::from_env(&env) {
            Ok(paths) => Ok((paths.config, paths.credentials)),
            Err(err) => Err(err.to_string()),
        };
        let matches = match (&got, case.expect) {
            (Ok((config, credentials)), Ok(expected)) => {
                (config.as_path(), credentials.as_path())
                    == (Path::new(expected.0), Path::new(expected.1))
            }
            (Err(err), Err(start)) => err.starts_with(start),
            _ => false,
        };
        if !matches {
            failures.push(format!("{}: expected {:?}, got {got:?}", case.rule, case.expect));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_selected_profile_is_aws_profile_then_aws_default_profile_then_default() {
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[], "default"),
        (&[("AWS_DEFAULT_PROFILE", "b")], "b"),
        (&[("AWS_PROFILE", "a")], "a"),
        (&[("AWS_PROFILE", "a"), ("AWS_DEFAULT_PROFILE", "b")], "a"),
        (&[("AWS_PROFILE", ""), ("AWS_DEFAULT_PROFILE", "b")], "b"),
        (&[("AWS_PROFILE", ""), ("AWS_DEFAULT_PROFILE", "")], "default"),
    ];
    for (env, expected) in cases {
        let env = Env::from_pairs(env.iter().copied());
        assert_eq!(selected_profile(&env), *expected, "{env:?}");
    }
}

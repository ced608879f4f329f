//! Shell quoting and rendering, checked by text and by running the result in real bash, zsh,
//! fish and Nushell with hostile values.

use std::path::Path;
use std::process::Command;

use awsctx_core::shell::{EnvChange, Shell, ShellError, is_valid_name, quote, render};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

#[test]
fn quoting_is_single_quotes_in_each_shells_own_style() {
    let value = r"it's $(x) \ `y`";
    assert_eq!(quote(Shell::Bash, value), r"'it'\''s $(x) \ `y`'");
    assert_eq!(quote(Shell::Zsh, value), r"'it'\''s $(x) \ `y`'");
    assert_eq!(quote(Shell::Fish, value), r"'it\'s $(x) \\ `y`'");
    for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
        assert_eq!(quote(shell, ""), "''");
    }
    // Nushell: a raw string, with more `#`s than the value has in a row.
    assert_eq!(quote(Shell::Nu, value), r"r#'it's $(x) \ `y`'#");
    assert_eq!(quote(Shell::Nu, "a'##b"), "r###'a'##b'###");
}

#[test]
fn render_writes_one_statement_per_line() {
    let changes = [
        EnvChange::set("AWS_PROFILE", "prod"),
        EnvChange::set("AWS_REGION", "o'k"),
        EnvChange::unset("AWS_SESSION_TOKEN"),
        EnvChange::set_local("_AWSCTX_PWD", "/a b"),
    ];
    let bash = "export AWS_PROFILE='prod'\nexport AWS_REGION='o'\\''k'\nunset -v AWS_SESSION_TOKEN\n\
                _AWSCTX_PWD='/a b'\n";
    assert_eq!(render(Shell::Bash, &changes).unwrap(), bash);
    assert_eq!(render(Shell::Zsh, &changes).unwrap(), bash);
    assert_eq!(
        render(Shell::Fish, &changes).unwrap(),
        "set -gx AWS_PROFILE 'prod'\nset -gx AWS_REGION 'o\\'k'\nset -e AWS_SESSION_TOKEN\n\
         set -gu _AWSCTX_PWD '/a b'\n"
    );
    assert_eq!(render(Shell::Fish, &[]).unwrap(), "");
    assert_eq!(
        render(Shell::Nu, &changes).unwrap(),
        "{\"AWS_PROFILE\":\"prod\",\"AWS_REGION\":\"o'k\",\"AWS_SESSION_TOKEN\":null,\"_AWSCTX_PWD\":\"/a b\"}\n"
    );
    assert_eq!(render(Shell::Nu, &[]).unwrap(), "");
}

#[test]
fn invalid_names_are_rejected() {
    for name in ["", "1AWS", "AWS-PROFILE", "A B", "A;rm", "$(x)", "\u{e9}", "A=B", "A\n"] {
        for shell in Shell::ALL {
            let err = render(shell, &[EnvChange::set(name, "v")]).unwrap_err();
            assert_eq!(err, ShellError::InvalidName { name: name.into() });
            assert!(render(shell, &[EnvChange::unset(name)]).is_err());
        }
        assert!(!is_valid_name(name), "{name:?}");
    }
    for name in ["_", "A", "aws_profile", "_AWSCTX_PREV_1"] {
        assert!(is_valid_name(name), "{name}");
    }
}

#[test]
fn nul_in_a_value_is_rejected_and_nothing_is_rendered() {
    for shell in Shell::ALL {
        let changes = [EnvChange::set("A", "ok"), EnvChange::set("B", "a\0b")];
        let err = render(shell, &changes).unwrap_err();
        assert_eq!(err, ShellError::NulInValue { name: "B".into() });
        assert_eq!(
            err.to_string(),
            "the value for `B` contains a NUL byte, which no shell can hold"
        );
        let err = render(shell, &[EnvChange::set_local("C", "\0")]).unwrap_err();
        assert_eq!(err, ShellError::NulInValue { name: "C".into() });
    }
}

#[test]
fn shell_names_parse_and_print() {
    for shell in Shell::ALL {
        assert_eq!(shell.to_string().parse::<Shell>(), Ok(shell));
    }
    let err = "tcsh".parse::<Shell>().unwrap_err();
    assert_eq!(err.to_string(), "unknown shell `tcsh` (expected `bash`, `zsh`, `fish` or `nu`)");
}

// --- real shells ----------------------------------------------------------------------------

/// The program of `shell`: its name on `PATH`; for Nushell `$AWSCTX_NU`, else `nu` on `PATH`,
/// else the one `.ci/run` installs under `target/nushell`.
fn program(shell: Shell) -> std::path::PathBuf {
    if shell != Shell::Nu {
        return shell.name().into();
    }
    if let Some(nu) = std::env::var_os("AWSCTX_NU") {
        return nu.into();
    }
    let on_path =
        Command::new("nu").args(["-c", "exit 0"]).output().is_ok_and(|o| o.status.success());
    if on_path {
        return "nu".into();
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/nushell/bin/nu")
}

/// Whether `shell` can be run; a missing one is skipped loudly, or fails the test under
/// `AWSCTX_REQUIRE_SHELLS=1`.
#[allow(clippy::print_stderr)]
fn available(shell: Shell) -> bool {
    let found = Command::new(program(shell))
        .args(["-c", "exit 0"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var("AWSCTX_REQUIRE_SHELLS").as_deref() != Ok("1"),
            "`{shell}` is required (AWSCTX_REQUIRE_SHELLS=1) but cannot be run"
        );
        eprintln!("!!! SKIPPED: `{shell}` is not installed; its quoting was not run for real");
    }
    found
}

/// Run `script` in `shell` after `eval`-ing `rendered`, in `dir`, with a clean environment
/// (plus `PATH`, so an injected `touch` would work), and return its stdout.
fn run(shell: Shell, dir: &Path, rendered: &str, script: &str, env: &[(&str, &str)]) -> Vec<u8> {
    let mut command = Command::new(program(shell));
    match shell {
        Shell::Bash => command.args(["--norc", "--noprofile", "-c"]),
        Shell::Zsh => command.args(["-f", "-c"]),
        Shell::Fish => command.args(["--no-config", "-c"]),
        Shell::Nu => command.args(["--no-config-file", "-c"]),
    };
    let eval = match shell {
        Shell::Bash | Shell::Zsh => "eval \"$1\"",
        Shell::Fish => "eval $argv[1]",
        // No `eval`: the JSON is applied as the hook applies it (in `$env.AWSCTX_RENDERED`).
        Shell::Nu => NU_APPLY,
    };
    // bash and zsh take `$0` first; fish takes all the rest as `$argv`; nu reads the variable.
    let args: &[&str] = match shell {
        Shell::Fish => &[rendered],
        Shell::Nu => &[],
        _ => &["_", rendered],
    };
    command
        .arg(format!("{eval}; {script}"))
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("XDG_CONFIG_HOME", dir)
        .env("XDG_DATA_HOME", dir)
        .env("AWSCTX_RENDERED", rendered)
        .envs(env.iter().copied());
    let output = command.output().unwrap();
    assert!(output.status.success(), "{shell}: {}", String::from_utf8_lossy(&output.stderr));
    output.stdout
}

/// What the Nushell hook does with the binary's JSON (`_awsctx_apply` in `shell/awsctx.nu`),
/// for variables outside the hook's state.
const NU_APPLY: &str = "let changes = ($env.AWSCTX_RENDERED | from json | transpose name value); \
     hide-env AWSCTX_RENDERED; \
     for change in $changes { if $change.value == null { hide-env -i $change.name } else { load-env {($change.name): $change.value} } }";

/// Pieces that mean something to at least one of the shells.
fn hostile_value() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        prop::sample::select(vec![
            "'",
            "\"",
            "''",
            r"'\''",
            r"\'",
            "\\",
            "\\\\",
            "$(touch pwned)",
            "`touch pwned`",
            ";touch pwned;",
            "&& touch pwned",
            "| touch pwned",
            "(touch pwned)",
            "{touch,pwned}",
            "\n",
            "\r\n",
            "\t",
            " ",
            "!",
            "!!",
            "%",
            "%s",
            "-",
            "--",
            "-e",
            "$X",
            "${X}",
            "$",
            "$'\\x41'",
            "*",
            "?",
            "~",
            "#",
            "=",
            "[a]",
            "\u{e9}",
            "\u{65e5}\u{672c}",
            "\u{1f600}",
            "\u{7f}",
            "\u{1b}[31m",
            "\u{1}",
            "\u{f600}",
            "\u{2028}",
            "\u{feff}",
            "\\n",
            "\\x41",
        ])
        .prop_map(str::to_owned),
        "[ -~]{1,4}",
        any::<char>().prop_filter("NUL", |c| *c != '\0').prop_map(String::from),
    ];
    prop::collection::vec(piece, 0..10).prop_map(|pieces| pieces.concat())
}

/// 48 random hostile values per shell, set with `render` and read back through `printf`:
/// the value arrives byte for byte and nothing runs.
#[test]
fn hostile_values_round_trip_through_real_shells_and_nothing_executes() {
    for shell in Shell::ALL {
        if !available(shell) {
            continue;
        }
        let dir = tempfile::tempdir().unwrap();
        let mut runner =
            TestRunner::new(Config { cases: 48, failure_persistence: None, ..Config::default() });
        let canary = dir.path().join("pwned");
        let result = runner.run(&hostile_value(), |value| {
            // A fresh start per case, so shrinking reports the value that really ran code.
            let _ = std::fs::remove_file(&canary);
            let changes =
                [EnvChange::set("X", value.as_str()), EnvChange::set_local("Y", value.as_str())];
            let rendered = render(shell, &changes).unwrap();
            let read = if shell == Shell::Nu {
                "print -n $\"($env.X)|($env.Y)\""
            } else {
                "printf '%s|%s' \"$X\" \"$Y\""
            };
            let out = run(shell, dir.path(), &rendered, read, &[]);
            prop_assert_eq!(
                String::from_utf8_lossy(&out),
                format!("{value}|{value}"),
                "{}: {}",
                shell,
                rendered
            );
            prop_assert!(
                !dir.path().join("pwned").exists(),
                "{}: code ran from {}",
                shell,
                rendered
            );
            Ok(())
        });
        if let Err(e) = result {
            panic!("{shell}: {e}");
        }
    }
}

#[test]
fn rendered_changes_are_exported_to_children_and_unset_removes() {
    let value = "a'b\"c $(touch pwned)\n-d \\";
    let changes = [
        EnvChange::set("AWSCTX_T1", value),
        EnvChange::unset("AWSCTX_T2"),
        EnvChange::unset("AWSCTX_NEVER_SET"),
    ];
    for shell in Shell::ALL {
        if !available(shell) {
            continue;
        }
        let dir = tempfile::tempdir().unwrap();
        let rendered = render(shell, &changes).unwrap();
        // A child process (printenv) sees AWSCTX_T1, and AWSCTX_T2 is gone from the shell.
        let script = match shell {
            Shell::Bash | Shell::Zsh => "printenv AWSCTX_T1; printf '[%s]' \"${AWSCTX_T2-gone}\"",
            Shell::Fish => "printenv AWSCTX_T1; set -q AWSCTX_T2; or printf '[gone]'",
            Shell::Nu => "^printenv AWSCTX_T1; if $env.AWSCTX_T2? == null { print -n '[gone]' }",
        };
        let out = run(shell, dir.path(), &rendered, script, &[("AWSCTX_T2", "old")]);
        assert_eq!(String::from_utf8_lossy(&out), format!("{value}\n[gone]"), "{shell}");
        assert!(!dir.path().join("pwned").exists());
    }
}

#[test]
fn local_changes_made_in_a_function_set_the_shells_variable_and_no_childs() {
    let value = "a'b\"c $(touch pwned)\n-d \\";
    let changes = [EnvChange::set_local("AWSCTX_L1", value)];
    // Nushell keeps the hook's state in a record no child sees: `nushell` in the binary's tests.
    for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
        if !available(shell) {
            continue;
        }
        let dir = tempfile::tempdir().unwrap();
        let rendered = render(shell, &changes).unwrap();
        // As the hooks do: evaluated inside a function, the variable is the shell's own.
        let (in_function, script) = match shell {
            Shell::Bash | Shell::Zsh => (
                format!("f() {{\n{rendered}}}\nf"),
                "printf '%s|' \"$AWSCTX_L1\"; printenv AWSCTX_L1 || printf 'not exported'",
            ),
            Shell::Fish | Shell::Nu => (
                format!("function f\n{rendered}end\nf"),
                "printf '%s|' \"$AWSCTX_L1\"; printenv AWSCTX_L1; or printf 'not exported'",
            ),
        };
        let out = run(shell, dir.path(), &in_function, script, &[]);
        assert_eq!(String::from_utf8_lossy(&out), format!("{value}|not exported"), "{shell}");
        assert!(!dir.path().join("pwned").exists());
    }
    // fish: a variable exported before is taken back (`set -gu`).
    if available(Shell::Fish) {
        let dir = tempfile::tempdir().unwrap();
        let rendered = render(Shell::Fish, &[EnvChange::set_local("AWSCTX_L2", "new")]).unwrap();
        let script = "printf '%s|' $AWSCTX_L2; printenv AWSCTX_L2; or printf 'not exported'";
        let out = run(Shell::Fish, dir.path(), &rendered, script, &[("AWSCTX_L2", "old")]);
        assert_eq!(String::from_utf8_lossy(&out), "new|not exported");
    }
}

#[test]
fn unset_in_bash_and_zsh_leaves_a_function_of_the_same_name_alone() {
    for shell in [Shell::Bash, Shell::Zsh] {
        if !available(shell) {
            continue;
        }
        let dir = tempfile::tempdir().unwrap();
        let rendered = render(shell, &[EnvChange::unset("AWS_PROFILE")]).unwrap();
        // No variable `AWS_PROFILE`, but a function: a bare `unset` would remove it.
        let script = format!("AWS_PROFILE() {{ printf fn; }}\n{rendered}");
        let out = run(shell, dir.path(), &script, "AWS_PROFILE", &[]);
        assert_eq!(out, b"fn", "{shell}");
    }
}

/// Nushell gets values as JSON, but the binary's path is written into its hook as a raw
/// string: any path (quotes, `#`s, newlines) comes out byte for byte and runs nothing.
#[test]
fn hostile_values_quoted_for_nushell_read_back_byte_for_byte() {
    if !available(Shell::Nu) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut runner =
        TestRunner::new(Config { cases: 32, failure_persistence: None, ..Config::default() });
    let value = hostile_value().prop_map(|v| format!("{v}'#{v}'##"));
    let result = runner.run(&value, |value| {
        let script = format!("print -n {}", quote(Shell::Nu, &value));
        let out = run(Shell::Nu, dir.path(), "{}", &script, &[]);
        prop_assert_eq!(String::from_utf8_lossy(&out), value.as_str(), "{}", script);
        prop_assert!(!dir.path().join("pwned").exists(), "code ran from {}", script);
        Ok(())
    });
    if let Err(e) = result {
        panic!("nu: {e}");
    }
}

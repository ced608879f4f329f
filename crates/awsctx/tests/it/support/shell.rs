//! Real shells with the hook: the hook file, the runners and their prelude, which shells are
//! installed, and the wrapper that counts the binary's runs.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use super::{stderr, stdout};

use super::{BIN, Sandbox};

impl Sandbox {
    /// The hook script for `shell`, written to a file (sourced by the shell runners).
    pub(crate) fn hook_file(&self, shell: &str) -> PathBuf {
        let path = self.root.join(format!("hook.{shell}"));
        if !path.exists() {
            let out = self.cmd(&["hook", shell]).output().expect("awsctx hook");
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            let mut hook = Vec::new();
            if shell == "bash"
                && std::env::var_os("AWSCTX_TEST_BASH_WITHOUT_EPOCHSECONDS").is_some()
            {
                // What bash before 5.0 (macOS's 3.2) has: no builtin clock. `.ci/run` runs the
                // shell tests once more this way, so the hook's fallback clock is tested too.
                hook.extend_from_slice(b"unset EPOCHSECONDS\n");
            }
            hook.extend_from_slice(&out.stdout);
            std::fs::write(&path, hook).expect("write hook");
        }
        path
    }

    /// Run `script` in `shell` (non-interactive, no rc files) after the prelude: the hook is
    /// sourced, and `prompt` (what the shell does before a prompt), `cmdline` (what it does
    /// before a command line runs: bash's `DEBUG` trap fires before every command by itself,
    /// zsh and fish run their preexec hooks only when interactive), `show NAME...` (prints
    /// `NAME=<value>` or `NAME unset`), `setvar NAME VALUE` (exported) and `unsetvar NAME` are
    /// defined alike in every shell.
    pub(crate) fn shell(&self, shell: &str, script: &str) -> Output {
        self.shell_raw(shell, &format!("{}\n{script}\n", self.prelude(shell)))
    }

    /// Run `script` in `shell` as it is (no prelude), in the sandbox's environment.
    pub(crate) fn shell_raw(&self, shell: &str, full: &str) -> Output {
        self.shell_command(shell, &["-c", full]).output().expect("run shell")
    }

    /// `shell ARGS` without the user's rc files, in the sandbox root with its environment.
    pub(crate) fn shell_command(&self, shell: &str, args: &[&str]) -> Command {
        let mut cmd = self.command(program(shell));
        match shell {
            "bash" => cmd.args(["--norc", "--noprofile"]),
            "zsh" => cmd.arg("-f"),
            "nu" => cmd.arg("--no-config-file"),
            _ => cmd.arg("--no-config"),
        };
        cmd.args(args);
        cmd
    }

    pub(crate) fn prelude(&self, shell: &str) -> String {
        let hook = self.hook_file(shell);
        let hook = hook.display();
        match shell {
            "bash" => format!(
                "source '{hook}'\n\
                 prompt() {{ local __c; for __c in \"${{PROMPT_COMMAND[@]}}\"; do eval \"$__c\"; done; }}\n\
                 cmdline() {{ :; }}\n\
                 show() {{ local n; for n; do if [[ -n \"${{!n+set}}\" ]]; then printf '%s=<%s>\\n' \"$n\" \"${{!n}}\"; else printf '%s unset\\n' \"$n\"; fi; done; }}\n\
                 setvar() {{ export \"$1=$2\"; }}\n\
                 unsetvar() {{ unset \"$1\"; }}\n\
                 statevars() {{ local n; for n in \"${{!_AWSCTX_@}}\"; do printf '%s=%s\\0' \"$n\" \"${{!n}}\"; done; }}"
            ),
            "zsh" => format!(
                "source '{hook}'\n\
                 zmodload zsh/parameter\n\
                 prompt() {{ local f; for f in $precmd_functions; do $f; done }}\n\
                 cmdline() {{ local f; for f in $preexec_functions; do $f; done }}\n\
                 show() {{ local n; for n; do if (( ${{+parameters[$n]}} )); then printf '%s=<%s>\\n' $n \"${{(P)n}}\"; else printf '%s unset\\n' $n; fi; done }}\n\
                 setvar() {{ export \"$1=$2\" }}\n\
                 unsetvar() {{ unset \"$1\" }}\n\
                 statevars() {{ local n; for n in ${{(k)parameters[(I)_AWSCTX_*]}}; do printf '%s=%s\\0' $n \"${{(P)n}}\"; done }}"
            ),
            // A prompt as the REPL makes one: `pre_prompt` hooks, then `env_change.PWD` hooks
            // when `$env.PWD` changed since the last prompt. The hook's state is in the
            // `$env._AWSCTX` record: `show` looks there for `_AWSCTX_*`.
            "nu" => format!(
                "source '{hook}'\n\
                 $env.PROMPT_PWD = $env.PWD\n\
                 def cmdline [] {{ }}\n\
                 def --env prompt [] {{ for h in $env.config.hooks.pre_prompt {{ do --env $h.code }}; if $env.PWD != $env.PROMPT_PWD {{ let before = $env.PROMPT_PWD; $env.PROMPT_PWD = $env.PWD; for h in $env.config.hooks.env_change.PWD {{ do --env $h.code $before $env.PWD }} }} }}\n\
                 def show [...names: string] {{ for n in $names {{ let v = if ($n | str starts-with _AWSCTX_) {{ $env._AWSCTX? | default {{}} | get -o $n }} else {{ $env | get -o $n }}; if $v == null {{ print $\"($n) unset\" }} else {{ print $\"($n)=<($v)>\" }} }} }}\n\
                 def --env setvar [name: string, value: string] {{ if ($name | str starts-with _AWSCTX_) {{ $env._AWSCTX = ($env._AWSCTX? | default {{}} | upsert $name $value) }} else {{ load-env {{($name): $value}} }} }}\n\
                 def --env unsetvar [name: string] {{ hide-env -i $name }}"
            ),
            _ => format!(
                "source '{hook}'\n\
                 function prompt; emit fish_prompt; end\n\
                 function cmdline; emit fish_preexec; end\n\
                 function show; for n in $argv; if set -q $n; printf '%s=<%s>\\n' $n \"$$n\"; else; printf '%s unset\\n' $n; end; end; end\n\
                 function setvar; set -gx $argv[1] $argv[2]; end\n\
                 function unsetvar; set -e $argv[1]; end\n\
                 function statevars; for n in (set -n | string match '_AWSCTX_*'); printf '%s=%s\\0' $n \"$$n\"; end; end"
            ),
        }
    }

    /// Run `script` in every installed shell; `check(shell, stdout, stderr)`. Each shell starts
    /// from the same awsctx state (pins, trust records) the test set up.
    pub(crate) fn in_every_shell(&self, script: &str, check: impl Fn(&str, &str, &str)) {
        let state = self.home.join(".local/state/awsctx");
        let saved: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(&state)
            .map(|dir| {
                dir.flatten()
                    .filter(|e| e.path().is_file())
                    .map(|e| (e.path(), std::fs::read(e.path()).unwrap()))
                    .collect()
            })
            .unwrap_or_default();
        for shell in shells_and_nu() {
            let _ = std::fs::remove_dir_all(&state);
            std::fs::create_dir_all(&state).unwrap();
            for (path, bytes) in &saved {
                std::fs::write(path, bytes).unwrap();
            }
            let out = self.shell(shell, script);
            check(shell, &stdout(&out), &stderr(&out));
        }
    }

    /// Run `script` in every installed shell at once (the tests wait on real time);
    /// `check(shell, stdout, stderr)`.
    pub(crate) fn in_every_shell_at_once(
        &self,
        script: &str,
        check: impl Fn(&str, &str, &str) + Sync,
    ) {
        std::thread::scope(|scope| {
            let runs: Vec<_> = shells()
                .into_iter()
                .map(|shell| scope.spawn(move || (shell, self.shell(shell, script))))
                .collect();
            for run in runs {
                let (shell, out) = run.join().expect("shell thread");
                check(shell, &stdout(&out), &stderr(&out));
            }
        });
    }

    /// A wrapper around the binary that logs each run's arguments, named `name` in the root.
    pub(crate) fn counting_wrapper(&self, name: &str) -> Counted {
        let log = self.root.join(format!("{name}.log"));
        let wrapper = self.script(
            name,
            &format!("#!/bin/sh\necho \"$*\" >> '{}'\nexec '{BIN}' \"$@\"\n", log.display()),
        );
        Counted { wrapper, log }
    }
}

/// A wrapper around the binary and the log of its runs (one line of arguments a run).
pub(crate) struct Counted {
    pub(crate) wrapper: PathBuf,
    pub(crate) log: PathBuf,
}

impl Counted {
    /// The runs so far.
    pub(crate) fn calls(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The line that makes `shell`'s hook call the wrapper from then on. The binary is a
    /// constant of the Nushell hook, and its hooks keep the commands they were registered
    /// with: there the hook file itself calls the wrapper from the start (so its first prompt
    /// is counted too), and the line is empty.
    pub(crate) fn use_in(&self, sb: &Sandbox, shell: &str) -> String {
        let wrapper = self.wrapper.display();
        match shell {
            "fish" => format!("set -g _AWSCTX_BIN '{wrapper}'"),
            "nu" => {
                let path = sb.hook_file("nu");
                let hook = std::fs::read_to_string(&path).expect("read hook");
                std::fs::write(&path, hook.replace(BIN, &wrapper.to_string())).expect("hook");
                String::new()
            }
            _ => format!("_AWSCTX_BIN='{wrapper}'"),
        }
    }
}

/// Whether `tool` can be run. Missing: a loud skip notice, or a failure when
/// `AWSCTX_REQUIRE_SHELLS=1` (CI installs bash, zsh, fish and shellcheck).
pub(crate) fn have(tool: &str) -> bool {
    let found = Command::new(tool).arg("--version").output().is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var("AWSCTX_REQUIRE_SHELLS").as_deref() != Ok("1"),
            "`{tool}` is not installed and AWSCTX_REQUIRE_SHELLS=1 requires it"
        );
        eprintln!("SKIPPED: `{tool}` is not installed: its part of this test did not run");
    }
    found
}

/// The shells to run a test in: those installed (with a loud notice for the others).
pub(crate) fn shells() -> Vec<&'static str> {
    ["bash", "zsh", "fish"].into_iter().filter(|s| have(s)).collect()
}

/// [`shells`] and Nushell, for scripts all four understand (`cd`, `prompt`, `show`, `setvar`,
/// `awsctx ...`, one command a line).
pub(crate) fn shells_and_nu() -> Vec<&'static str> {
    let mut all = shells();
    if have_nu() {
        all.push("nu");
    }
    all
}

/// The program to run for `shell`: its name, found on `PATH`; Nushell as [`nu_program`] finds it.
pub(crate) fn program(shell: &str) -> PathBuf {
    if shell == "nu" { nu_program() } else { shell.into() }
}

/// Nushell: `$AWSCTX_NU`, else `nu` on `PATH`, else the one `.ci/run` installs with npm under
/// `target/nushell`.
pub(crate) fn nu_program() -> PathBuf {
    if let Some(nu) = std::env::var_os("AWSCTX_NU") {
        return nu.into();
    }
    let on_path = Command::new("nu").arg("--version").output().is_ok_and(|o| o.status.success());
    if on_path {
        return "nu".into();
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/nushell/bin/nu")
}

/// Whether Nushell can be run (a loud skip, or a failure under `AWSCTX_REQUIRE_SHELLS=1`).
pub(crate) fn have_nu() -> bool {
    have(&nu_program().to_string_lossy())
}

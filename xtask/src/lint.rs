//! `cargo xtask lint`: the hooks as the user's shell will see them, rendered by the binary:
//! shellcheck with every optional check for bash (as zoxide does), `zsh -n` for zsh, `fish --no-execute` and `fish_indent --check` for fish,
//! a `source` of the hook in `nu` for Nushell.

use std::io::Write;
use std::process::{Command, Stdio};

use anyhow::{Context, bail};

pub(crate) fn run() -> anyhow::Result<()> {
    crate::imports::check(&crate::root())?; // no import cycle between modules
    println!("lint: no import cycle between modules");
    let bin = crate::build(false)?.join("awsctx");
    let hook = |shell: &str| crate::output(Command::new(&bin).args(["hook", shell]));
    let bash = hook("bash")?;
    check_stdin("shellcheck", &["--shell=bash", "--enable=all", "-"], &bash)?;
    let too_new = crate::bash32::check(&bash);
    if !too_new.is_empty() {
        bail!("the bash hook needs a bash newer than 3.2 (macOS):\n{}", too_new.join("\n"));
    }
    check_stdin("zsh", &["-n"], &hook("zsh")?)?;
    check_stdin("fish", &["--no-execute"], &hook("fish")?)?;
    // Nushell: sourcing parses the whole file and only registers hooks.
    let nu_hook = crate::root().join("target/lint-hook.nu");
    std::fs::write(&nu_hook, hook("nu")?)?;
    let source = format!("source '{}'", nu_hook.display());
    check_stdin(&nu_program().to_string_lossy(), &["--no-config-file", "-c", &source], "")?;
    // fish_indent checks the script as committed: on the rendered hook it would only object to
    // quotes around a path that happens not to need them. (The bash source is not checked
    // apart: its placeholders read as unset variables, and the rendered hook holds it all.)
    let fish = std::fs::read_to_string(crate::root().join("shell/awsctx.fish"))?;
    check_stdin("fish_indent", &["--check"], &fish)?;
    println!(
        "lint: hooks clean (shellcheck --enable=all, bash 3.2 syntax, zsh -n, fish --no-execute, fish_indent --check, nu source)"
    );
    Ok(())
}

/// Nushell: `$AWSCTX_NU`, else the one `.ci/run` installs with npm, else `nu` on `PATH`.
pub(crate) fn nu_program() -> std::path::PathBuf {
    if let Some(nu) = std::env::var_os("AWSCTX_NU") {
        return nu.into();
    }
    let local = crate::root().join("target/nushell/bin/nu");
    if local.is_file() { local } else { "nu".into() }
}

fn check_stdin(tool: &str, args: &[&str], input: &str) -> anyhow::Result<()> {
    let mut child = Command::new(tool)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("`{tool}` is needed for lint (apt-get install {tool})"))?;
    child.stdin.take().expect("piped").write_all(input.as_bytes())?;
    let out = child.wait_with_output()?;
    if !out.status.success() {
        bail!(
            "{tool} {} ({}):\n{}{}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

//! `cargo xtask lint`: the hooks as the user's shell will see them, rendered by the binary:
//! shellcheck for bash, `zsh -n` for zsh, `fish --no-execute` and `fish_indent --check` for fish.

use std::io::Write;
use std::process::{Command, Stdio};

use anyhow::{Context, bail};

pub(crate) fn run() -> anyhow::Result<()> {
    let bin = crate::build(false)?.join("awsctx");
    let hook = |shell: &str| crate::output(Command::new(&bin).args(["hook", shell]));
    check_stdin("shellcheck", &["--shell=bash", "-"], &hook("bash")?)?;
    check_stdin("zsh", &["-n"], &hook("zsh")?)?;
    let fish = hook("fish")?;
    check_stdin("fish", &["--no-execute"], &fish)?;
    check_stdin("fish_indent", &["--check"], &fish)?;
    // The scripts in shell/ as committed, too (the hook adds only quoted values to them).
    let shell_dir = crate::root().join("shell");
    check_stdin(
        "shellcheck",
        &["--shell=bash", "-"],
        &std::fs::read_to_string(shell_dir.join("awsctx.bash"))?,
    )?;
    println!("lint: hooks clean (shellcheck, zsh -n, fish --no-execute, fish_indent --check)");
    Ok(())
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
            "{tool} {}:\n{}{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

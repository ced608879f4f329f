//! `cargo xtask`: the project's own chores, in Rust so they run wherever cargo does.
//!
//! - `completions [--check]`: regenerate `completions/` (or fail if it drifted)
//! - `lint`: `imports`; shellcheck the rendered bash hook; syntax-check the zsh and fish hooks
//! - `imports`: fail when modules of a crate import each other (directly or in a circle)
//! - `settings [--check]`: the tables of `AWSCTX_*` variables in README.md and CONTRIBUTING.md
//!   (or fail if they drifted, or a variable is defined nowhere)
//! - `bench`: every budget in `docs/architecture.md`, side by side with its peer
//! - `demo [--interactive]`: the whole story against the mock, in a sandbox home

#![allow(clippy::print_stdout, clippy::print_stderr)] // a console tool: printing is its job

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{Context, bail};

mod bash32;
mod bench;
mod completions;
mod demo;
mod imports;
mod lint;
mod settings;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("completions") => completions::run(args.iter().any(|a| a == "--check")),
        Some("lint") => lint::run(),
        Some("imports") => imports::check(&root()),
        Some("settings") => settings::run(args.iter().any(|a| a == "--check")),
        Some("bench") => bench::run(&args[1..]),
        Some("demo") => demo::run(args.iter().any(|a| a == "--interactive")),
        _ => {
            eprintln!(
                "usage: cargo xtask <completions [--check] | settings [--check] | lint | imports | bench [ROW...] | demo [--interactive]>"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("xtask: error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root (the parent of `xtask/`).
pub(crate) fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the workspace").to_owned()
}

/// Build `awsctx` (and the mock) in `profile` and return the target directory's profile folder.
pub(crate) fn build(release: bool) -> anyhow::Result<PathBuf> {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(root()).args([
        "build",
        "--quiet",
        "-p",
        "awsctx",
        "-p",
        "awsctx-tests",
        "--bins",
    ]);
    if release {
        cmd.arg("--release");
    }
    let status = cmd.status().context("running cargo build")?;
    if !status.success() {
        bail!("cargo build failed");
    }
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root().join("target"), PathBuf::from);
    Ok(target.join(if release { "release" } else { "debug" }))
}

/// Run a command and return its stdout, failing with its stderr.
pub(crate) fn output(cmd: &mut Command) -> anyhow::Result<String> {
    let out = cmd.output().with_context(|| format!("running {cmd:?}"))?;
    if !out.status.success() {
        bail!("{cmd:?} failed: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(String::from_utf8(out.stdout)?)
}

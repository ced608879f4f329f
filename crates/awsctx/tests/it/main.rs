//! End-to-end tests: the built `awsctx` binary against the mock IAM Identity Center, in temp
//! homes and real shells. One test binary; one module per area.

// Tests say loudly on stderr what they skipped.
#![allow(clippy::print_stderr)]

// First: the modules below use its `awsctx_snapshot!`.
#[macro_use]
mod support;

mod accounts;
mod bounds;
mod chain;
mod configure;
mod console;
mod dayshell;
mod doctor;
mod exec;
mod export;
mod files;
mod guard;
mod hooks;
mod hookstate;
mod interop;
mod list;
mod login;
mod nushell;
mod populate;
mod prompt;
mod pty;
mod quoting;
mod region;
mod reliability;
mod server;
mod switch;
mod untrusted;

/// A Python that can `import MODULE`: `$AWSCTX_PYTHON`, else `python3`. Missing: a loud skip,
/// or a failure under `CI=true` (CI installs boto3, moto and awscli in a venv).
pub(crate) fn python_with(module: &str) -> Option<std::path::PathBuf> {
    let python = std::env::var_os("AWSCTX_PYTHON")
        .map_or_else(|| "python3".into(), std::path::PathBuf::from);
    let ok = std::process::Command::new(&python)
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        // The interpreter itself, not a shim: tests run it with a cleared environment.
        let exe = std::process::Command::new(&python)
            .args(["-c", "import sys; print(sys.executable)"])
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .map(|s| std::path::PathBuf::from(s.trim()));
        return exe.filter(|p| p.is_file()).or(Some(python));
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "`{module}` is not importable by {}, and CI=true requires it",
        python.display()
    );
    eprintln!(
        "SKIPPED: `{module}` is not installed for {} (set AWSCTX_PYTHON to a Python with boto3, moto and awscli)",
        python.display()
    );
    None
}

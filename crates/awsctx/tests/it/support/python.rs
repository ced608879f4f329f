//! Python for the interoperability tests: an interpreter that has the modules (boto3, moto,
//! awscli), and moto's STS server.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// A Python that can `import MODULE`: `$AWSCTX_PYTHON`, else `python3`. Missing: a loud skip,
/// or a failure under `CI=true` (CI installs boto3, moto and awscli in a venv).
pub(crate) fn python_with(module: &str) -> Option<PathBuf> {
    let python = std::env::var_os("AWSCTX_PYTHON").map_or_else(|| "python3".into(), PathBuf::from);
    let ok = Command::new(&python)
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        // The interpreter itself, not a shim: tests run it with a cleared environment.
        let exe = Command::new(&python)
            .args(["-c", "import sys; print(sys.executable)"])
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .map(|s| PathBuf::from(s.trim()));
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

/// moto's STS server on a loopback port, stopped when dropped.
pub(crate) struct Moto {
    child: Child,
    pub(crate) url: String,
}

impl Moto {
    pub(crate) fn start(python: &Path) -> Self {
        let mut child = Command::new(python)
            .args(["-m", "moto.server", "-H", "127.0.0.1", "-p0"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start moto");
        let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
        let url = lines
            .by_ref()
            .map_while(Result::ok)
            .find_map(|line| line.split("Running on ").nth(1).map(|u| u.trim().to_owned()))
            .expect("moto says where it listens");
        // Keep draining its log so it never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Self { child, url }
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

//! `cargo xtask demo [--interactive]`: the whole story against the mock IAM Identity Center,
//! in a sandbox home, in a real bash with the hook installed. The story is `xtask/demo.sh`;
//! this sets the stage: builds, starts `mock-sso`, makes the home and the fake browser.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Context, bail};

pub(crate) fn run(interactive: bool) -> anyhow::Result<()> {
    let bin_dir = crate::build(false)?;
    let work = crate::root().join("target/demo");
    let _ = std::fs::remove_dir_all(&work);
    let home = work.join("home");
    std::fs::create_dir_all(home.join(".aws"))?;

    let mut mock = Command::new(bin_dir.join("mock-sso"))
        .args(["serve", "--accounts", "4", "--roles-per-account", "2"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .context("starting mock-sso")?;
    let mut url = String::new();
    BufReader::new(mock.stdout.take().context("mock stdout")?).read_line(&mut url)?;
    let url = url.trim().to_owned();
    let result = (|| {
        if !url.starts_with("http://") {
            bail!("mock-sso did not print its URL");
        }
        let browser = fake_browser(&work, &bin_dir.join("mock-sso"))?;
        let path = format!(
            "{}:{}",
            bin_dir.display(),
            std::env::var("PATH").unwrap_or_else(|_| "/usr/bin:/bin".into())
        );
        let mut bash = Command::new("bash");
        bash.current_dir(&home)
            .env_clear()
            .env("PATH", path)
            .env("HOME", &home)
            .env("XDG_STATE_HOME", home.join(".local/state"))
            .env("TERM", std::env::var("TERM").unwrap_or_else(|_| "dumb".into()))
            .env("BROWSER", &browser)
            .env("DEMO_START_URL", "https://d-90670ca0b1.awsapps.com/start")
            .env("DEMO_WORK", work.join("projects"));
        for var in [
            "AWS_ENDPOINT_URL_SSO_OIDC",
            "AWS_ENDPOINT_URL_SSO",
            "AWS_ENDPOINT_URL_STS",
            "AWS_ENDPOINT_URL_SIGNIN",
        ] {
            bash.env(var, &url);
        }
        if std::env::var_os("NO_COLOR").is_some() {
            bash.env("NO_COLOR", "1");
        }
        if interactive {
            let rc = work.join("bashrc");
            std::fs::write(
                &rc,
                "eval \"$(awsctx hook bash)\"\nPS1='(awsctx demo) \\w \\$ '\necho 'awsctx demo shell: sandbox home, mock IAM Identity Center. Try: awsctx login --sso-session corp, then awsctx populate --sso-session corp; exit to leave.'\n",
            )?;
            std::fs::write(home.join(".aws/config"), demo_config())?;
            // Leaving the sandbox shell is never a failure, whatever its last command said.
            bash.arg("--rcfile").arg(&rc).arg("-i").status()?;
            return Ok(());
        }
        let status = bash.arg(crate::root().join("xtask/demo.sh")).status()?;
        if !status.success() {
            bail!("the demo failed ({status})");
        }
        Ok(())
    })();
    let _ = mock.kill();
    let _ = mock.wait();
    result
}

/// A config for the interactive shell: one session, ready for `awsctx login`.
fn demo_config() -> &'static str {
    "[sso-session corp]\nsso_start_url = https://d-90670ca0b1.awsapps.com/start\nsso_region = us-east-1\nsso_registration_scopes = sso:account:access\n"
}

/// `BROWSER` for the demo: `mock-sso browse`, which follows the authorize redirect as a
/// browser would, and so approves the login.
fn fake_browser(work: &Path, mock_sso: &Path) -> anyhow::Result<std::path::PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let script = work.join("browser");
    let quoted = format!("'{}'", mock_sso.display().to_string().replace('\'', r"'\''"));
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\n# The demo's browser: approve the login.\nexec {quoted} browse \"$1\" >/dev/null 2>&1\n"
        ),
    )?;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755))?;
    Ok(script)
}

//! Opening a URL in the user's browser, as `login`, `configure sso` and `console` do.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use awsctx_core::env::Env;
use awsctx_login::browser::BrowserUrl;

/// Open `url` with `$BROWSER` (each `:`-separated entry tried in turn; `%s` is replaced by
/// the URL, else the URL is appended as one argument), else `xdg-open` / `open` when present.
/// The browser runs on its own: the login goes on while it loads the page. `false` when no
/// browser could be started. Only a [`BrowserUrl`] is opened: it starts with `https://` (or
/// `http://` to loopback), so the browser never takes it for an option or a local file.
pub(crate) fn open_browser(url: &BrowserUrl, env: &Env) -> bool {
    let url = url.as_str();
    let commands: Vec<Vec<String>> = match env.get("BROWSER") {
        Some(browsers) => browsers
            .split(':')
            .filter_map(shlex::split)
            .filter(|argv| !argv.is_empty())
            .map(|argv| with_url(argv, url))
            .collect(),
        None => ["xdg-open", "open"]
            .iter()
            .filter_map(|name| find_in_path(env, name))
            .map(|path| vec![path.to_string_lossy().into_owned(), url.to_owned()])
            .take(1)
            .collect(),
    };
    for argv in commands {
        let spawned = Command::new(&argv[0])
            .args(&argv[1..])
            .env_clear()
            .envs(env.iter())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        if let Ok(mut child) = spawned {
            // Reap it whenever it ends; never wait for it here.
            std::thread::spawn(move || child.wait());
            return true;
        }
    }
    false
}

fn with_url(mut argv: Vec<String>, url: &str) -> Vec<String> {
    if argv.iter().any(|a| a.contains("%s")) {
        for arg in &mut argv {
            *arg = arg.replace("%s", url);
        }
    } else {
        argv.push(url.to_owned());
    }
    argv
}

fn find_in_path(env: &Env, name: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    env.get("PATH")?.split(':').filter(|d| !d.is_empty()).map(|d| Path::new(d).join(name)).find(
        |p| std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browser_commands_take_the_url_as_one_argument_or_in_place_of_percent_s() {
        let url = "http://127.0.0.1:1/authorize?a=b&c=d";
        assert_eq!(
            with_url(vec!["firefox".into(), "--new-tab".into()], url),
            ["firefox", "--new-tab", url]
        );
        assert_eq!(
            with_url(vec!["open".into(), "-u=%s".into()], url),
            ["open".to_owned(), format!("-u={url}")]
        );
    }
}

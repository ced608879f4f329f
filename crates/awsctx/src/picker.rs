//! Choosing a profile: `fzf` when installed, else a line-based filter on the terminal. The
//! picker returns the chosen name; what happens with it is the caller's.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{BufRead, Write};
use std::process::Stdio;

use anyhow::Context as _;
use awsctx_core::config::Config;
use awsctx_core::lookup::{AccountNames, Identity};
use awsctx_core::switch::var;
use awsctx_core::text::{escape, escape_line};

use crate::ui;

/// `names` with the recently used ones first (most recent first), the rest in config order.
pub(crate) fn recent_first(history: &[String], names: &[&str]) -> Vec<String> {
    let mut out: Vec<String> =
        history.iter().filter(|h| names.contains(&h.as_str())).cloned().collect();
    out.extend(names.iter().filter(|n| !history.iter().any(|h| h == *n)).map(|n| (*n).to_owned()));
    out
}

/// One line of the picker: a profile and what it stands for, all of it searchable.
#[derive(Debug, Clone)]
pub(crate) struct Choice {
    pub(crate) name: String,
    /// Account id, account name and role, as far as known: `111122223333 app-dev Admin`.
    pub(crate) details: String,
}

impl Choice {
    pub(crate) fn of(config: &Config, name: &str, accounts: &AccountNames) -> Self {
        let identity = config.profile(name).map(|p| Identity::of(&p));
        let account = identity.and_then(|i| i.account);
        let parts = [
            account.map(Cow::Borrowed),
            account.and_then(|a| accounts.get(a)).map(escape),
            identity.and_then(|i| i.role).map(escape),
        ];
        let details = parts.into_iter().flatten().collect::<Vec<_>>().join("  ");
        Self { name: name.to_owned(), details }
    }
}

/// Let the user choose: `fzf` when installed, else a line-based filter on the terminal.
pub(crate) fn pick(choices: &[Choice]) -> anyhow::Result<Option<String>> {
    if choices.is_empty() {
        return Err(ui::error(
            "there are no profiles to choose from",
            "`awsctx configure sso` writes one; `awsctx populate --sso-session NAME` writes many",
        ));
    }
    match pick_with_fzf(choices) {
        Ok(choice) => Ok(choice),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => pick_builtin(choices),
        Err(err) => Err(err).context("running `fzf`"),
    }
}

/// fzf shows each choice escaped (a line of its own, drawn on the terminal): its name and what
/// it stands for, all searchable. Each line starts with the choice's index, which fzf hides and
/// gives back, so the choice is the name itself whatever its escaped form.
fn pick_with_fzf(choices: &[Choice]) -> std::io::Result<Option<String>> {
    let mut fzf = std::process::Command::new("fzf");
    // The hook's state (the user's saved keys) stays with awsctx.
    for (name, _) in std::env::vars_os() {
        if name.to_str().is_some_and(|n| n.starts_with(var::PREFIX)) {
            fzf.env_remove(name);
        }
    }
    let mut child = fzf
        .args([
            "--height=40%",
            "--reverse",
            "--no-multi",
            "--prompt=profile> ",
            "--delimiter=\t",
            "--with-nth=2..",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()?;
    if let Some(mut stdin) = child.stdin.take() {
        let mut lines = String::new();
        for (i, choice) in choices.iter().enumerate() {
            let _ = writeln!(lines, "{i}\t{}\t{}", escape_line(&choice.name), choice.details);
        }
        // fzf may exit before reading everything (a quick ESC): not an error.
        let _ = stdin.write_all(lines.as_bytes());
    }
    let out = child.wait_with_output()?;
    if !out.status.success() {
        return Ok(None);
    }
    let chosen = String::from_utf8_lossy(&out.stdout);
    let index = chosen.split('\t').next().and_then(|i| i.trim().parse::<usize>().ok());
    Ok(index.and_then(|i| choices.get(i)).map(|c| c.name.clone()))
}

/// The built-in picker: numbered matches on the terminal, type to filter (by profile name,
/// account id, account name or role), a number to choose. Names are shown escaped, and the
/// filter matches what is shown.
fn pick_builtin(choices: &[Choice]) -> anyhow::Result<Option<String>> {
    const SHOWN: usize = 15;
    let tty = fs_err::OpenOptions::new().read(true).write(true).open("/dev/tty")?;
    let mut input = std::io::BufReader::new(tty.try_clone()?);
    let mut out = tty;
    let names: Vec<String> = choices.iter().map(|c| escape_line(&c.name).into_owned()).collect();
    let width = names.iter().map(|n| n.chars().count()).max().unwrap_or(0);
    let shown: Vec<String> = names
        .iter()
        .zip(choices)
        .map(|(name, c)| format!("{name:<width$}  {}", c.details).trim_end().to_owned())
        .collect();
    let mut filter = String::new();
    loop {
        let terms: Vec<String> = filter.split_whitespace().map(str::to_lowercase).collect();
        let matches: Vec<usize> = (0..shown.len())
            .filter(|&i| terms.iter().all(|t| shown[i].to_lowercase().contains(t.as_str())))
            .collect();
        if matches.len() == 1 && !filter.is_empty() {
            return Ok(Some(choices[matches[0]].name.clone()));
        }
        for (n, &i) in matches.iter().take(SHOWN).enumerate() {
            writeln!(out, "{:>3}  {}", n + 1, shown[i])?;
        }
        if matches.len() > SHOWN {
            writeln!(out, "     … {} more: type to filter", matches.len() - SHOWN)?;
        }
        if matches.is_empty() {
            writeln!(out, "no profile matches `{}`", escape_line(&filter))?;
        }
        write!(out, "profile (text filters, number picks, empty cancels)> ")?;
        out.flush()?;
        let mut line = String::new();
        if input.read_line(&mut line)? == 0 {
            return Ok(None);
        }
        let line = line.trim();
        if line.is_empty() {
            return Ok(None);
        }
        if let Some(i) = by_position(line, &shown, &matches, SHOWN) {
            return Ok(Some(choices[i].name.clone()));
        }
        line.clone_into(&mut filter);
    }
}

/// The choice a line typed at a picker picks by its position, if it does: `searchable` is
/// what every choice is shown and filtered as, `listed` the choices on the screen in order
/// (numbered from 1, the first `numbered` of them). What is typed filters first (`0012` finds
/// `team-0012-…`); a number picks by position only when it matches nothing, or after `#`.
pub(crate) fn by_position(
    typed: &str,
    searchable: &[String],
    listed: &[usize],
    numbered: usize,
) -> Option<usize> {
    let (explicit, number) = match typed.strip_prefix('#') {
        Some(rest) => (true, rest.trim()),
        None => (false, typed),
    };
    let n = number.parse::<usize>().ok().filter(|n| *n <= numbered)?;
    let lower = typed.to_lowercase();
    if !explicit && searchable.iter().any(|s| s.to_lowercase().contains(&lower)) {
        return None;
    }
    n.checked_sub(1).and_then(|i| listed.get(i)).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recent_profiles_come_first_and_forgotten_ones_drop_out() {
        let history = vec!["b".to_owned(), "gone".to_owned(), "c".to_owned()];
        assert_eq!(recent_first(&history, &["a", "b", "c", "d"]), ["b", "c", "a", "d"]);
    }

    #[test]
    fn text_that_looks_like_a_number_filters_first() {
        let searchable = ["team-0012-dev".to_owned(), "a".to_owned(), "b".to_owned()];
        let listed = [0, 1, 2];
        assert_eq!(by_position("0012", &searchable, &listed, 15), None, "it matches a name");
        assert_eq!(by_position("2", &searchable, &listed, 15), None, "`2` is in a name");
        assert_eq!(by_position("3", &searchable, &listed, 15), Some(2));
        assert_eq!(by_position("#2", &searchable, &listed, 15), Some(1));
        assert_eq!(by_position("4", &searchable, &listed, 15), None, "past the list");
        assert_eq!(by_position("3", &searchable, &listed, 2), None, "past the numbered rows");
    }
}

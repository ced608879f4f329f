//! Dynamic completion candidates (profile names, account ids), read on each TAB. Profile
//! names come from the section headers alone, so a config of 10 000 profiles completes as
//! fast as one of ten; only digits or an ARN (account ids stand for profiles) read the whole
//! config. Never fails loudly: a config that cannot be read completes nothing. A name with a
//! control character is not offered: the shell would show it raw, and an escaped name would
//! not be the profile's.

use std::ffi::{OsStr, OsString};
use std::io::{self, Write};
use std::path::Path;

use awsctx_core::config::{Config, ConfigPaths, profile_names};
use awsctx_core::env::Env;
use awsctx_core::lookup::{Found, Identity, Query, is_account_id};
use clap_complete::CompletionCandidate;
use clap_complete::env::{Bash, EnvCompleter, Fish, Shells, Zsh};

/// The shells TAB completes in (Nushell's hook speaks fish's protocol), each offering flags
/// only once the word starts with `-`: a second TAB after a whole profile name would otherwise
/// put the one thing left, `--help`, on the line.
pub(crate) const SHELLS: Shells<'static> =
    Shells(&[&FlagsOnDash(&Bash), &FlagsOnDash(&Zsh), &FlagsOnDash(&Fish)]);

struct FlagsOnDash(&'static dyn EnvCompleter);

impl EnvCompleter for FlagsOnDash {
    fn name(&self) -> &'static str {
        self.0.name()
    }

    fn is(&self, name: &str) -> bool {
        self.0.is(name)
    }

    fn write_registration(
        &self,
        var: &str,
        name: &str,
        bin: &str,
        completer: &str,
        buf: &mut dyn Write,
    ) -> io::Result<()> {
        self.0.write_registration(var, name, bin, completer, buf)
    }

    fn write_complete(
        &self,
        cmd: &mut clap::Command,
        args: Vec<OsString>,
        current_dir: Option<&Path>,
        buf: &mut dyn Write,
    ) -> io::Result<()> {
        // bash and zsh say which word is completed; fish completes the last one.
        let index = std::env::var("_CLAP_COMPLETE_INDEX").ok().and_then(|i| i.parse().ok());
        let index = index.unwrap_or_else(|| args.len().saturating_sub(1));
        let typing_a_flag = args.get(index).is_some_and(|w| w.to_string_lossy().starts_with('-'));
        // After `awsctx PROFILE` only flags may follow (clap would offer the commands too).
        let after_profile = index >= 2
            && args.get(1).is_some_and(|w| {
                let w = w.to_string_lossy();
                !w.starts_with('-') && cmd.find_subcommand(w.as_ref()).is_none()
            });
        if after_profile && !typing_a_flag {
            return Ok(());
        }
        let mut out = Vec::new();
        self.0.write_complete(cmd, args, current_dir, &mut out)?;
        if typing_a_flag {
            return buf.write_all(&out);
        }
        // Candidates are separated by `_CLAP_IFS` (bash, zsh) or by lines (fish).
        let separator = match std::env::var("_CLAP_IFS") {
            Ok(ifs) if self.0.name() != "fish" && !ifs.is_empty() => ifs,
            _ => "\n".to_owned(),
        };
        let out = String::from_utf8_lossy(&out);
        let kept: Vec<&str> = out
            .split(separator.as_str())
            .filter(|c| !c.is_empty() && !c.starts_with('-'))
            .collect();
        let mut kept = kept.join(&separator);
        if self.0.name() == "fish" && !kept.is_empty() {
            kept.push('\n');
        }
        buf.write_all(kept.as_bytes())
    }
}

/// `clap_complete`'s registration of `awsctx`'s completion in `shell` (a TAB runs `completer`),
/// with what awsctx adds to it: the hook and the packaged scripts both print this.
pub(crate) fn registration(shell: &dyn EnvCompleter, completer: &str) -> io::Result<String> {
    let mut out = Vec::new();
    shell.write_registration("COMPLETE", "awsctx", "awsctx", completer, &mut out)?;
    let mut out = String::from_utf8_lossy(&out).trim().to_owned();
    match shell.name() {
        // clap_complete's generated function splits the completer's output on purpose.
        "bash" => out.insert_str(0, "# shellcheck disable=SC2207,SC2181\n"),
        // A whole account id or ARN completes to its profiles, which do not start with what
        // was typed: `-U` lets them replace the word instead of being filtered out.
        "zsh" => {
            out = out.replace(
                "[[ -n $other ]] && _describe -V 'values' other",
                "if [[ ${words[CURRENT]} == <-> || ${words[CURRENT]} == arn:* ]]; then\n            [[ -n $other ]] && _describe -V 'values' other -U\n        else\n            [[ -n $other ]] && _describe -V 'values' other\n        fi",
            );
        }
        _ => {}
    }
    Ok(out)
}

fn paths() -> Option<ConfigPaths> {
    ConfigPaths::from_env(&Env::from_process()).ok()
}

pub(crate) fn profile_candidates() -> Vec<CompletionCandidate> {
    paths().map_or_else(Vec::new, |paths| names(&paths, ""))
}

/// The profile names starting with `prefix`, from the section headers.
fn names(paths: &ConfigPaths, prefix: &str) -> Vec<CompletionCandidate> {
    let Ok(names) = profile_names(paths, prefix) else { return Vec::new() };
    names
        .into_iter()
        .filter(|name| !name.chars().any(awsctx_core::text::is_unsafe))
        .map(CompletionCandidate::new)
        .collect()
}

/// Where a profile is wanted and an account id stands for one: digits complete to the account
/// ids that start with them (their profiles as the help), and a whole account id or ARN
/// completes to its profiles (the shell replaces the word: bash and zsh).
pub(crate) fn profile_or_account(current: &OsStr) -> Vec<CompletionCandidate> {
    let Some(current) = current.to_str() else { return Vec::new() };
    let Some(paths) = paths() else { return Vec::new() };
    let digits = !current.is_empty() && current.bytes().all(|b| b.is_ascii_digit());
    if !digits && !current.starts_with("arn:") {
        return names(&paths, current);
    }
    // Account ids are in the profiles' keys: only now is the whole config read.
    let Ok(config) = Config::load(&paths) else { return Vec::new() };
    if config.profile(current).is_none()
        && let Some(Ok(query)) = Query::parse(current)
    {
        let found = awsctx_core::lookup::find(&config, &query);
        if let Found::Matches(matches) = found {
            return matches
                .iter()
                .map(|c| {
                    CompletionCandidate::new(c.profile).help(c.role.map(|r| r.to_owned().into()))
                })
                .collect();
        }
    }
    let mut out: Vec<CompletionCandidate> = Vec::new();
    if digits && current.len() < 12 {
        let mut accounts: Vec<(&str, Vec<&str>)> = Vec::new();
        for profile in config.profiles() {
            let Some(account) = Identity::of(&profile).account else { continue };
            if !is_account_id(account) || !account.starts_with(current) {
                continue;
            }
            match accounts.iter_mut().find(|(a, _)| *a == account) {
                Some((_, names)) => names.push(profile.name()),
                None => accounts.push((account, vec![profile.name()])),
            }
        }
        out.extend(accounts.into_iter().map(|(account, names)| {
            CompletionCandidate::new(account).help(Some(names.join(", ").into()))
        }));
    }
    out.extend(names(&paths, current));
    out
}

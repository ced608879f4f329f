//! The profile a command line means. A profile's name always wins; otherwise an account id
//! (`444455556666`), an ARN (`arn:aws:sts::111122223333:assumed-role/Developer/me`) or an
//! account name the portal gave stands for the profiles of that account (and role). One match
//! is the answer; several open the picker on a terminal (else an error listing them); none is
//! an error with the nearest candidates.

use std::io::IsTerminal;

use clap::CommandFactory as _;

use awsctx_core::config::Config;
use awsctx_core::lookup::{self, AccountNames, Candidate, Found, Query};
use awsctx_core::text::escape;

use crate::context::Context;
use crate::picker::{Choice, pick};
use crate::ui;

/// How a command is written with a profile name: the hint for "name one of them".
#[derive(Debug, Clone, Copy)]
pub(crate) enum Usage {
    Switch,
    Command(&'static str),
    Exec,
}

impl Usage {
    fn with(self, profile: &str) -> String {
        match self {
            Self::Switch => format!("`awsctx {profile}`"),
            Self::Command(command) => format!("`awsctx {command} {profile}`"),
            Self::Exec => format!("`awsctx exec {profile} -- CMD`"),
        }
    }
}

/// The profile `typed` means (see the module docs). A cancelled picker is [`ui::Cancelled`].
pub(crate) fn profile_for(ctx: &Context, typed: &str, usage: Usage) -> anyhow::Result<String> {
    // A profile's name, the common case, needs only that profile's sections read.
    if ctx.has_profile(typed)? {
        return Ok(typed.to_owned());
    }
    let config = ctx.config()?;
    let found = match Query::parse(typed) {
        Some(Ok(query)) => lookup::find(config, &query),
        Some(Err(err)) => {
            return Err(ui::error(
                escape(&err.to_string()).into_owned(),
                "an ARN with an account names its profile, e.g. the `Arn` of `aws sts get-caller-identity`",
            ));
        }
        None => {
            let names = account_names(ctx);
            let accounts: Vec<&str> = names.accounts_named(typed).collect();
            if accounts.is_empty() {
                require_profile(ctx, typed)?;
                return Ok(typed.to_owned());
            }
            let mut matches = Vec::new();
            for account in accounts {
                if let Found::Matches(found) =
                    lookup::find(config, &Query::AccountId(account.to_owned()))
                {
                    matches.extend(found);
                }
            }
            Found::Matches(matches)
        }
    };
    let shown = escape(typed);
    match found {
        Found::Matches(matches) if matches.len() == 1 => Ok(matches[0].profile.to_owned()),
        Found::Matches(matches) if !matches.is_empty() => {
            if std::io::stdin().is_terminal() && std::io::stderr().is_terminal() {
                let names = account_names(ctx);
                let choices: Vec<Choice> =
                    matches.iter().map(|c| Choice::of(config, c.profile, &names)).collect();
                return pick(&choices)?.ok_or_else(|| ui::Cancelled.into());
            }
            Err(ui::error(
                format!("`{shown}` matches {} profiles: {}", matches.len(), listed(&matches)),
                format!("name one of them, e.g. {}", usage.with(matches[0].profile)),
            ))
        }
        Found::Matches(_) => Err(ui::error(
            format!("account name `{shown}` has no profile"),
            "`awsctx populate` writes one per account and role",
        )),
        Found::Nearest(near) => Err(no_match(config, typed, &near, usage)),
    }
}

fn no_match(config: &Config, typed: &str, near: &[Candidate<'_>], usage: Usage) -> anyhow::Error {
    let shown = escape(typed);
    let query = Query::parse(typed).and_then(Result::ok);
    let message = match query.as_ref().and_then(|q| q.role().map(|r| (q.account(), r))) {
        Some((account, role)) => {
            format!("no profile for role `{}` in account `{account}`", escape(role))
        }
        None => format!("no profile for account `{shown}`"),
    };
    let same_account =
        query.as_ref().is_some_and(|q| near.iter().any(|c| c.account == q.account()));
    let hint = match near {
        [] if config.profiles().len() == 0 => {
            "`awsctx populate --sso-session NAME` writes one profile per account and role"
                .to_owned()
        }
        [] => "`awsctx list` shows the profiles with their accounts and roles".to_owned(),
        [one] if same_account => {
            format!("the account's profile is `{}`: {}", one.profile, usage.with(one.profile))
        }
        near if same_account => format!("the account's profiles: {}", listed(near)),
        [one] => format!("did you mean account `{}`? {}", one.account, usage.with(one.profile)),
        near => format!("did you mean one of {}?", listed(near)),
    };
    ui::error(message, hint)
}

/// `` `dev` (111122223333 Developer), `dev-ro` (…) `` — the first few.
fn listed(candidates: &[Candidate<'_>]) -> String {
    const SHOWN: usize = 5;
    let mut parts: Vec<String> = candidates
        .iter()
        .take(SHOWN)
        .map(|c| match c.role {
            Some(role) => format!("`{}` ({} {role})", c.profile, c.account),
            None => format!("`{}` ({})", c.profile, c.account),
        })
        .collect();
    if candidates.len() > SHOWN {
        parts.push(format!("and {} more", candidates.len() - SHOWN));
    }
    parts.join(", ")
}

/// The account names awsctx knows; none when its state cannot be read (a name is a help,
/// never a reason to fail).
pub(crate) fn account_names(ctx: &Context) -> AccountNames {
    ctx.state_dir().ok().and_then(|s| s.load_account_names().ok()).unwrap_or_default()
}

/// The profile must exist: one line, and a hint with the nearest name (a typo of a profile or
/// of a command), else `list`.
pub(crate) fn require_profile(ctx: &Context, name: &str) -> anyhow::Result<()> {
    if ctx.has_profile(name)? {
        return Ok(());
    }
    let commands = crate::cli::Cli::command();
    let names = ctx.profile_names()?;
    let hint = match closest(name, commands.get_subcommands().map(clap::Command::get_name)) {
        Some(command) => format!("did you mean the command `awsctx {command}`?"),
        None => match closest(name, names.iter().map(String::as_str)) {
            Some(profile) => format!("did you mean `{profile}`? `awsctx list` shows the profiles"),
            None => "`awsctx list` shows the profiles; `awsctx populate --sso-session NAME` generates them"
                .to_owned(),
        },
    };
    Err(ui::error(
        format!("profile `{name}` not found in the AWS config or credentials file"),
        hint,
    ))
}

/// The candidate nearest to `typed`: the same but for case, or at most two edits away (a
/// swap of two neighbours counting as one edit: `lsit`).
fn closest<'a>(typed: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let typed_lower = typed.to_lowercase();
    candidates
        .map(|c| {
            (if c.to_lowercase() == typed_lower { 0 } else { strsim::osa_distance(typed, c) }, c)
        })
        .filter(|(d, _)| *d <= if typed.chars().count() <= 5 { 1 } else { 2 })
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod typo_tests {
    use super::closest;

    #[test]
    fn typos_of_commands_and_profiles_find_their_nearest_name() {
        let names = ["list", "login", "status"];
        assert_eq!(closest("lsit", names.into_iter()), Some("list"));
        assert_eq!(
            closest("Prod-ReadOnly", ["prod-readonly", "dev"].into_iter()),
            Some("prod-readonly")
        );
        assert_eq!(
            closest("dev", ["prod", "staging"].into_iter()),
            None,
            "short names need a near match"
        );
        assert_eq!(
            closest("payments-prod-admin", ["payments-prod-admn"].into_iter()),
            Some("payments-prod-admn")
        );
    }
}

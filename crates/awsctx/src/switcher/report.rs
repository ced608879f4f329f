//! What the switcher says on stderr: the one-line report of a switch (red for production),
//! what became of the keys, and the bindings passed over.

use awsctx_core::facts::ProfileFacts;
use awsctx_core::settings;
use awsctx_core::switch::Skipped;
use awsctx_core::text::Untrusted;
use jiff::SignedDuration;
use nu_ansi_term::Color;

use awsctx_core::switch::ShellState;
use jiff::Timestamp;

use super::keys::{Keys, Trigger};
use crate::context::Context;
use crate::ui;

/// The one line of a switch: `profile · account · role · region · 59m left`, red for
/// production.
pub(super) fn report_switch(
    ctx: &Context,
    now: Timestamp,
    profile: &str,
    facts: &ProfileFacts,
    keys: &Keys,
) {
    let account = match keys {
        Keys::Got(k) => k.account_id().map(str::to_owned).or_else(|| facts.account.clone()),
        _ => facts.account.clone(),
    };
    let shown = |text: &str| Untrusted(text).to_string();
    let mut parts = vec![shown(profile)];
    parts.extend(account.as_deref().map(shown));
    parts.extend(facts.role.as_deref().map(shown));
    parts.extend(facts.region.as_deref().map(shown));
    match keys {
        Keys::Got(k) => {
            parts.extend(k.expiration().map(|exp| time_left(exp.as_second() - now.as_second())));
        }
        Keys::NotWanted => {}
        _ => parts.push("no keys".to_owned()),
    }
    let line = parts.join(" · ");
    let prod = is_production(ctx, profile, account.as_deref(), facts);
    ui::notice_styled(&line, prod.then(|| Color::Red.bold()));
}

/// What became of the keys: for a command, the error it fails with (the switch itself still
/// happens); from the hook, one line, once per shell (`state` remembers it).
pub(super) fn report_keys(
    state: &mut ShellState,
    now: Timestamp,
    profile: &str,
    keys: &Keys,
    trigger: Trigger,
) -> Option<anyhow::Error> {
    if trigger == Trigger::Command {
        return match keys {
            Keys::Got(_) | Keys::NotWanted | Keys::Later { .. } => None,
            Keys::LoginRequired { login, reason, .. } => Some(ui::error(
                format!("no keys for `{profile}`: {reason}"),
                format!("run `{login}`, then `awsctx {profile}` again"),
            )),
            Keys::Unreachable { reason } | Keys::Missing { reason } => Some(ui::error(
                format!("no keys for `{profile}`: {reason}"),
                "`awsctx doctor` checks the set-up",
            )),
        };
    }
    let (marker, line) = match keys {
        Keys::Got(_) | Keys::NotWanted | Keys::Later { reason: None, .. } => return None,
        Keys::Later { reason: Some(reason), retry_at, old } => {
            let wait = retry_at.map_or(60, |at| at - now.as_second()).max(60) / 60;
            let what = if old.is_some() { "could not renew the keys" } else { "no keys" };
            (
                format!("unreachable:{profile}"),
                format!(
                    "{what} for `{profile}`: {reason} (trying again in {wait}m; `awsctx status` shows it)"
                ),
            )
        }
        Keys::Unreachable { reason } => (
            format!("unreachable:{profile}"),
            format!("no keys for `{profile}` yet: {reason} (trying again in a minute)"),
        ),
        // Why, as the provider says it: expired, refused, or logged out (`awsctx logout`).
        Keys::LoginRequired { session, login, reason } => {
            (format!("expired:{session}"), format!("{reason} — run `{login}`"))
        }
        Keys::Missing { reason } => {
            (format!("nokeys:{profile}"), format!("no keys for `{profile}`: {reason}"))
        }
    };
    if state.warn_once(&marker) {
        ui::notice(&line);
    }
    None
}

/// The line for a binding passed over. The directory names and the profile name come from
/// whatever repository the shell is in: [`ui::notice`] escapes the line, and the profile
/// name is also cut short.
pub(super) fn report_skipped(skipped: &Skipped) {
    if let Some(line) = skipped_line(skipped) {
        ui::notice(&line);
    }
}

fn skipped_line(skipped: &Skipped) -> Option<String> {
    Some(match skipped {
        Skipped::Untrusted { path, profile, changed } => format!(
            "`{}` (profile `{}`) {} — run `awsctx allow` to trust it",
            path.display(),
            Untrusted(profile),
            if *changed { "changed since you allowed it" } else { "is not allowed yet" }
        ),
        Skipped::Denied { .. } => return None,
        Skipped::UnknownProfile { file: Some(file), profile, .. } => format!(
            "`{}` names profile `{}`, which is not in the config — `awsctx list` shows the profiles",
            file.display(),
            Untrusted(profile)
        ),
        Skipped::UnknownProfile { root, file: None, profile } => format!(
            "the pin at `{}` names profile `{}`, which is not in the config — run `awsctx pin PROFILE` there",
            root.display(),
            Untrusted(profile)
        ),
        Skipped::WrongAccount { root, file, profile, expected, actual } => {
            let what = match file {
                Some(file) => format!("`{}`", file.display()),
                None => format!("the pin at `{}`", root.display()),
            };
            let actual = match actual {
                Some(account) => format!("is in account {account}"),
                None => "does not say which account it is in".to_owned(),
            };
            format!(
                "{what} expects account {expected}, but profile `{}` {actual} — refused; fix the binding or the profile",
                Untrusted(profile)
            )
        }
        Skipped::Unreadable { reason, .. } => format!("{reason} — fix or remove it"),
    })
}

/// `59m left`, `7h 5m left`, `42s left`, `expired 3m ago`: the one way awsctx says how long
/// keys or a login last.
pub(crate) fn time_left(seconds: i64) -> String {
    let span = |s: i64| {
        let d = SignedDuration::from_secs(s.abs());
        let (h, m) = (d.as_secs() / 3600, (d.as_secs() % 3600) / 60);
        if h > 0 {
            format!("{h}h {m}m")
        } else if m > 0 {
            format!("{m}m")
        } else {
            format!("{}s", d.as_secs())
        }
    };
    if seconds > 0 {
        format!("{} left", span(seconds))
    } else {
        format!("expired {} ago", span(seconds))
    }
}

/// `AWSCTX_PROD_PATTERN` (default `prod`): comma- or space-separated; an item with `*` or `?`
/// is a glob over the whole name, any other item a substring; case does not matter. Matched
/// against the profile name, the account id and the account name (`sso_account_name`).
fn looks_like_production(
    env: &awsctx_core::env::Env,
    profile: &str,
    account: Option<&str>,
    facts: &ProfileFacts,
) -> bool {
    // Set but empty means no profile looks like production.
    let pattern = &settings::PROD_PATTERN;
    let patterns = match env.iter().find(|(k, _)| *k == pattern.name) {
        Some((_, value)) => value,
        None => pattern.default.unwrap_or_default(),
    };
    let candidates = [Some(profile), account, facts.account_name.as_deref()];
    patterns.split([',', ' ']).filter(|p| !p.is_empty()).any(|pattern| {
        let pattern = pattern.to_lowercase();
        candidates.iter().flatten().any(|c| {
            let c = c.to_lowercase();
            if pattern.contains(['*', '?']) { glob(&pattern, &c) } else { c.contains(&pattern) }
        })
    })
}

/// Whether `profile` looks like production (see [`looks_like_production`]), its account's
/// name taken from the profile's `sso_account_name`, else from the names `populate` kept.
pub(crate) fn is_production(
    ctx: &Context,
    profile: &str,
    account: Option<&str>,
    facts: &ProfileFacts,
) -> bool {
    if looks_like_production(&ctx.env, profile, account, facts) {
        return true;
    }
    let kept = crate::target::account_names(ctx);
    let Some(name) = account.and_then(|a| kept.get(a)) else { return false };
    let named = ProfileFacts { account_name: Some(name.to_owned()), ..ProfileFacts::default() };
    looks_like_production(&ctx.env, profile, account, &named)
}

/// `*` and `?` over chars.
fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    #[test]
    fn time_left_reads_like_a_person_wrote_it() {
        assert_eq!(time_left(3599), "59m left");
        assert_eq!(time_left(7 * 3600 + 300), "7h 5m left");
        assert_eq!(time_left(42), "42s left");
        assert_eq!(time_left(-180), "expired 3m ago");
    }

    #[test]
    fn production_pattern_matches_substrings_and_globs_case_blind() {
        let facts = ProfileFacts::default();
        let env = |p: &str| awsctx_core::env::Env::from_pairs([("AWSCTX_PROD_PATTERN", p)]);
        let default = awsctx_core::env::Env::default();
        assert!(looks_like_production(&default, "Prod-ReadOnly", None, &facts));
        assert!(!looks_like_production(&default, "dev", None, &facts));
        assert!(looks_like_production(&env("live, *-prd"), "app-prd", None, &facts));
        assert!(!looks_like_production(&env("*-prd"), "app-prd-x", None, &facts));
        assert!(looks_like_production(&env("4444*"), "x", Some("444455556666"), &facts));
        assert!(!looks_like_production(&env(""), "prod", None, &facts));
    }

    proptest::proptest! {
        #[test]
        fn lines_about_bindings_never_hold_a_raw_control_character(
            dir in ui::tests::any_text(),
            profile in ui::tests::any_text(),
        ) {
            let path = PathBuf::from(format!("/src/{dir}/.aws-profile"));
            let root = PathBuf::from(format!("/src/{dir}"));
            for skipped in [
                Skipped::Untrusted { path: path.clone(), profile: profile.clone(), changed: false },
                Skipped::Untrusted { path: path.clone(), profile: profile.clone(), changed: true },
                Skipped::UnknownProfile { root: root.clone(), file: Some(path.clone()), profile: profile.clone() },
                Skipped::UnknownProfile { root, file: None, profile: profile.clone() },
                Skipped::Unreadable { path, reason: profile.clone() },
            ] {
                let line = skipped_line(&skipped).unwrap();
                let shown = ui::notice_text(&line, None, ui::Paint::stderr());
                proptest::prop_assert!(ui::tests::raw(&shown).is_empty(), "{shown:?}");
                proptest::prop_assert_eq!(shown.lines().count(), 1);
            }
        }
    }
}

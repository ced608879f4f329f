//! Every `AWSCTX_*` variable a user can set, each defined once: its name, its default and what
//! it does. The code reads the names from here ([`Env::setting`](crate::env::Env::setting)),
//! and the README's settings table is generated from [`SETTINGS`] (`cargo xtask settings`;
//! CI fails when they drift apart). The variables only the tests read are not settings: they
//! are listed in `CONTRIBUTING.md`.

/// One environment variable awsctx reads to change its own behaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setting {
    pub name: &'static str,
    /// What applies when the variable is unset or empty; `None` when nothing does (the
    /// feature is off).
    pub default: Option<&'static str>,
    /// What it does: one line of Markdown, the README's table cell.
    pub doc: &'static str,
}

/// What a switch exports.
pub const EXPORT: Setting = Setting {
    name: "AWSCTX_EXPORT",
    default: Some("both"),
    doc: "what a switch exports: `both` (`AWS_PROFILE` and keys), `profile` (only `AWS_PROFILE` and region: SDKs resolve through the shared caches), `keys` (only keys and region)",
};

/// Which profiles look like production.
pub const PROD_PATTERN: Setting = Setting {
    name: "AWSCTX_PROD_PATTERN",
    default: Some("prod"),
    doc: "comma- or space-separated substrings or globs; the switch line and `awsctx_prompt` are red (on a terminal) when the profile's name, account id or account name (`populate` keeps the portal's) matches",
};

/// Whether a production profile needs its name typed first.
pub const CONFIRM_PROD: Setting = Setting {
    name: "AWSCTX_CONFIRM_PROD",
    default: None,
    doc: "set (not `0`): a production profile needs its name typed on the terminal before `exec`, `console` or a switch by hand; refused without a terminal",
};

/// Seconds per network attempt.
pub const HTTP_TIMEOUT: Setting = Setting {
    name: "AWSCTX_HTTP_TIMEOUT",
    default: Some("30"),
    doc: "seconds per network attempt (a prompt waits for the network 0.6 s at most and leaves a longer refresh to the background; the hook never opens a browser)",
};

/// Seconds to wait for another awsctx holding the same lock.
pub const LOCK_TIMEOUT: Setting = Setting {
    name: "AWSCTX_LOCK_TIMEOUT",
    default: Some("30"),
    doc: "seconds to wait for another awsctx fetching the same keys or refreshing the same token before giving up with its pid (the hook waits 5 s at most, all waits together)",
};

/// Every setting, in the README's order.
pub const SETTINGS: &[Setting] = &[EXPORT, PROD_PATTERN, CONFIRM_PROD, HTTP_TIMEOUT, LOCK_TIMEOUT];

#[cfg(test)]
mod tests {
    use super::{EXPORT, SETTINGS};
    use crate::env::Env;
    use crate::switch::ExportMode;

    #[test]
    fn the_documented_export_default_is_what_an_unset_variable_gives() {
        let default = EXPORT.default.expect("a default");
        let set = ExportMode::from_env(&Env::from_pairs([(EXPORT.name, default)]));
        assert_eq!(set, ExportMode::from_env(&Env::default()));
        // And the variable is the one the rule reads.
        let other = ExportMode::from_env(&Env::from_pairs([(EXPORT.name, "keys")]));
        assert_eq!(other, Ok(ExportMode::Keys));
    }

    #[test]
    fn every_setting_has_its_own_awsctx_name_and_a_one_line_doc() {
        for (i, setting) in SETTINGS.iter().enumerate() {
            let rest = setting.name.strip_prefix("AWSCTX_").unwrap_or_default();
            assert!(
                !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'),
                "{}",
                setting.name
            );
            assert!(
                !setting.doc.contains(['\n', '|']),
                "{}: the doc is one table cell",
                setting.name
            );
            assert!(
                SETTINGS[..i].iter().all(|other| other.name != setting.name),
                "{} is defined twice",
                setting.name
            );
        }
    }
}

//! Everything a shell evals is quoted for that shell: hostile directory names (pins, `$PWD`,
//! bindings), `.aws-profile` contents, server values (keys from the cache, in every character
//! a key may hold) and the user's own values go through real bash, zsh and fish via the hook.
//! Nothing executes (a canary file is never created) and every value comes back byte for
//! byte. Keys with any other character never get this far: `untrusted` shows them refused.

use std::time::Duration;

use awsctx_core::cache::{CredentialCache, CredentialKey, RoleCredentials};
use awsctx_core::secret::Secret;
use proptest::prelude::*;

use crate::support::{DEV, PROD, Sandbox, shells, stderr, stdout};

/// Pieces that mean something to some shell. `CANARY` is replaced by the canary's path.
const FRAGMENTS: &[&str] = &[
    "'",
    "\"",
    "$(touch CANARY)",
    "`touch CANARY`",
    ";touch CANARY;",
    "|touch CANARY",
    "&&",
    "\n",
    "\\",
    "\\'",
    "$HOME",
    "${PATH}",
    "$((1+1))",
    "$'\\x41'",
    "%s",
    "*",
    "?",
    "[ab]",
    "{a,b}",
    " ",
    "\t",
    "é",
    "日本",
    "🙂",
    "!",
    "#",
    "~",
    "<",
    ">",
    "(",
    ")",
    "--",
    "-u",
    "\\n",
    "$status",
];

fn hostile() -> impl Strategy<Value = Vec<String>> {
    let fragment = prop_oneof![
        prop::sample::select(FRAGMENTS).prop_map(str::to_owned),
        "[a-zA-Z0-9_.-]{1,4}",
    ];
    prop::collection::vec(fragment, 1..6)
}

/// The fragments as one value, made safe for where it goes: no NUL ever, no `/` in a
/// directory name, no control characters but newline and tab.
fn join(parts: &[String], canary: &str) -> String {
    parts.concat().replace("CANARY", canary)
}

/// A directory name: `/` is a separator; `.`/`..` are not new directories.
fn dir_name(parts: &[String], canary: &str) -> String {
    let name = join(parts, &canary.replace('/', "%"));
    let name = name.replace('/', "%");
    if name == "." || name == ".." { format!("x{name}") } else { name }
}

fn seed_hostile_keys(sb: &Sandbox, secret: &str, token: &str) {
    let creds = RoleCredentials::new(
        "ASIAHOSTILE",
        Secret::new(secret),
        Some(Secret::new(token)),
        Some(jiff::Timestamp::now() + jiff::SignedDuration::from_hours(1)),
    )
    .unwrap()
    .with_account_id(Some(DEV.0.into()));
    CredentialCache::from_home(&sb.home)
        .store_sso(&CredentialKey::sso(DEV.0, DEV.1, "corp"), &creds)
        .unwrap();
}

/// Every character a secret or session token may hold ([`RoleCredentials::new`]).
const KEY_CHARACTERS: &str = "[A-Za-z0-9+/=_-]{1,60}";

fn check_case(dir: &[String], secret: &str, token: &str, user: &[String], file: &[String]) {
    let mut sb = Sandbox::switcher();
    let canary = sb.root.join("CANARY");
    let canary_text = canary.display().to_string();
    let dir = dir_name(dir, &canary_text);
    let user = join(user, &canary_text);
    let file = join(file, &canary_text).replace('\t', " ");
    seed_hostile_keys(&sb, secret, token);
    sb.seed_keys(PROD, Duration::from_secs(3600));
    let bound = sb.dir(&dir);
    let proj = sb.dir("proj");
    std::fs::write(proj.join(".aws-profile"), &file).unwrap();
    sb.set_env("H", &dir);
    sb.set_env("AWS_REGION", &user);
    let script = format!(
        "cd '{root}'
prompt
awsctx dev
show AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
cd \"./$H\"
prompt
awsctx pin prod-ro
show AWS_PROFILE _AWSCTX_BOUND
cd ..
prompt
show AWS_PROFILE
cd \"./$H\"
prompt
show AWS_PROFILE
cd '{root}/proj'
prompt
awsctx -u
show AWS_PROFILE AWS_REGION",
        root = sb.root.display()
    );
    for shell in shells() {
        let _ = std::fs::remove_file(sb.home.join(".local/state/awsctx/pins.json"));
        let out = sb.shell(shell, &script);
        let (out_text, err_text) = (stdout(&out), stderr(&out));
        let expected = format!(
            "AWS_SECRET_ACCESS_KEY=<{secret}>\nAWS_SESSION_TOKEN=<{token}>\n\
             AWS_PROFILE=<prod-ro>\n_AWSCTX_BOUND=<{bound}>\n\
             AWS_PROFILE=<dev>\nAWS_PROFILE=<prod-ro>\n\
             AWS_PROFILE unset\nAWS_REGION=<{user}>\n",
            bound = bound.display()
        );
        assert_eq!(out_text, expected, "{shell}: stderr:\n{err_text}");
        assert!(!canary.exists(), "{shell} executed a hostile value: {err_text}");
        assert!(!err_text.contains("error"), "{shell}: {err_text}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn hostile_values_go_through_every_shell_quoted_and_round_trip(
        dir in hostile(),
        secret in KEY_CHARACTERS,
        token in KEY_CHARACTERS,
        user in hostile(),
        file in hostile(),
    ) {
        check_case(&dir, &secret, &token, &user, &file);
    }
}

#[test]
fn the_worst_of_each_goes_through_every_shell() {
    let all: Vec<String> = FRAGMENTS.iter().map(|f| (*f).to_owned()).collect();
    check_case(&all, "-_/+=wJalr/K7MDENG+bPxRfiCY==", "=-IQoJb3JpZ2luX2Vj/+t_=", &all, &all);
}

#[test]
fn odd_but_valid_profile_names_round_trip() {
    let sb = Sandbox::switcher();
    let name = "a%b@c:d+e-f/g.h_9";
    sb.add_profile(&format!(
        "[profile {name}]\naws_access_key_id = AKIAODD\naws_secret_access_key = x\nregion = eu-north-1"
    ));
    let script = format!(
        "cd '{}'\nprompt\nawsctx '{name}'\nshow AWS_PROFILE AWS_REGION\nawsctx -u\nshow AWS_PROFILE",
        sb.root.display()
    );
    for shell in shells() {
        let out = sb.shell(shell, &script);
        assert_eq!(
            stdout(&out),
            format!("AWS_PROFILE=<{name}>\nAWS_REGION=<eu-north-1>\nAWS_PROFILE unset\n"),
            "{shell}: {}",
            stderr(&out)
        );
    }
}

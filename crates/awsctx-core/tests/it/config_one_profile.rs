//! `Config::load_profile` (one profile, its chain and its sso-session, without modelling the
//! rest) against `Config::load` (everything): for random configs both resolve every profile
//! the same (kind, properties, chain, errors); big files read in blocks; a broken line is
//! reported when it is in a section the profile uses, and by the whole read always.

use std::fmt::Write as _;

use awsctx_core::config::{Config, ConfigError, FileKind, FileLine, profile_names};
use proptest::prelude::*;

use crate::config_owned::{Files, ordered};

const NAMES: [&str; 5] = ["a", "b", "c", "default", "d-1"];

/// What a test knows of a section header it wrote: the section it opens, by name.
#[derive(Debug, PartialEq, Eq)]
enum Opens {
    Profile(String),
    SsoSession(String),
    Services(String),
    Other,
}

/// The section that holds line `line` (1-based) of `text`, or `None` when the line is a
/// header or comes before the first one.
fn section_of(text: &str, line: usize, file: FileKind) -> Option<Opens> {
    let lines: Vec<&str> = text.split('\n').collect();
    if lines.get(line - 1)?.starts_with('[') {
        return None;
    }
    let header = lines.get(..line)?.iter().rev().find(|l| l.starts_with('['))?;
    let inner = header[1..].split([']', '#', ';']).next().unwrap_or("");
    let words: Vec<&str> = inner.split_whitespace().collect();
    Some(match (file, words.as_slice()) {
        (FileKind::Config, ["profile", name]) | (FileKind::Credentials, [name]) => {
            Opens::Profile((*name).to_owned())
        }
        (FileKind::Config, ["default"]) => Opens::Profile("default".to_owned()),
        (FileKind::Config, ["sso-session", name]) => Opens::SsoSession((*name).to_owned()),
        (FileKind::Config, ["services", name]) => Opens::Services((*name).to_owned()),
        _ => Opens::Other,
    })
}

fn error_line(err: &ConfigError) -> Option<&FileLine> {
    match err {
        ConfigError::Syntax { at, .. } | ConfigError::NotUtf8 { at } => Some(at),
        _ => None,
    }
}

/// `name` resolves the same from `whole` and from `one`: its sections, kind and chain, and
/// whether every other name exists.
fn same_for(whole: &Config, one: &Config, name: &str) -> Result<(), TestCaseError> {
    let view = |c: &Config| c.profile(name).map(|p| (ordered(&p), p.header(), p.source()));
    prop_assert_eq!(view(one), view(whole), "profile {}", name);
    prop_assert_eq!(one.kind(name), whole.kind(name), "kind of {}", name);
    prop_assert_eq!(one.credential_chain(name), whole.credential_chain(name), "chain of {}", name);
    prop_assert_eq!(one.kind_label(name), whole.kind_label(name), "label of {}", name);
    if let Some(profile) = whole.profile(name) {
        for key in ["sso_session", "services"] {
            let Some(section) = profile.get(key) else { continue };
            let sections = |c: &Config| {
                let found = match key {
                    "sso_session" => c.sso_session_section(section),
                    _ => c.services_section(section),
                };
                found.map(|s| (ordered(&s), s.header()))
            };
            prop_assert_eq!(sections(one), sections(whole), "{} {}", key, section);
        }
    }
    for other in NAMES.iter().chain(&["zz"]) {
        prop_assert_eq!(one.has_profile(other), whole.has_profile(other), "has {}", other);
    }
    let mut names = whole.profile_names();
    let mut one_names = one.profile_names();
    names.sort_unstable();
    one_names.sort_unstable();
    prop_assert_eq!(one_names, names);
    Ok(())
}

/// Compare the two paths for every name on the files `config` and `credentials`.
fn check_paths_agree(config: &str, credentials: &str) -> Result<(), TestCaseError> {
    let files = Files::new(config, credentials);
    let whole = files.load();
    for name in NAMES.iter().chain(&["zz"]) {
        let one = files.load_profile(name);
        match (&whole, &one) {
            (Ok(whole), Ok(one)) => same_for(whole, one, name)?,
            (Ok(_), Err(err)) => {
                return Err(TestCaseError::fail(format!("only the one-profile read fails: {err}")));
            }
            (Err(err), Ok(one)) => {
                // Allowed only for a line in a section the profile does not use.
                let at = error_line(err).ok_or_else(|| TestCaseError::fail(err.to_string()))?;
                let (text, file) = if at.path == files.paths.config {
                    (config, FileKind::Config)
                } else {
                    (credentials, FileKind::Credentials)
                };
                let used = match section_of(text, at.line, file) {
                    None => true,
                    Some(Opens::Profile(p)) => one.covers(&p),
                    Some(Opens::SsoSession(s)) => one.sso_session_section(&s).is_some(),
                    Some(Opens::Services(s)) => one.services_section(&s).is_some(),
                    Some(Opens::Other) => false,
                };
                prop_assert!(!used, "{}: `{}` was read for {} yet passed", err, at, name);
            }
            (Err(_), Err(err)) => prop_assert!(error_line(err).is_some(), "{}", err),
        }
    }
    Ok(())
}

fn name() -> impl Strategy<Value = &'static str> {
    prop::sample::select(NAMES.to_vec())
}

fn config_header() -> impl Strategy<Value = String> {
    let session = prop::sample::select(vec!["corp", "other"]);
    prop_oneof![
        4 => name().prop_map(|n| if n == "default" { "[default]".to_owned() } else { format!("[profile {n}]") }),
        1 => name().prop_map(|n| format!("[ profile\t{n} ] # note")),
        1 => Just("[profile default]".to_owned()),
        2 => session.prop_map(|s| format!("[sso-session {s}]")),
        1 => Just("[services dev]".to_owned()),
        1 => prop::sample::select(vec!["[plugins x]", "[a]", "[profile bad name]", "[sso-session]"])
            .prop_map(str::to_owned),
    ]
}

/// A line or a few: a property (maybe continued, maybe nested), a comment, a blank line.
fn config_item() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => property_line(),
        1 => property_line().prop_map(|p| format!("{p}\n  continued")),
        1 => Just("s3 =\n  endpoint_url = http://localhost:9000\n\tregion = x\n  region = y".to_owned()),
        1 => prop::sample::select(vec!["# comment", "", "; note", "bad key = 1", "  "]).prop_map(str::to_owned),
    ]
}

fn section(
    header: impl Strategy<Value = String>,
    item: impl Strategy<Value = String>,
) -> impl Strategy<Value = String> {
    (header, prop::collection::vec(item, 0..5)).prop_map(|(header, items)| {
        std::iter::once(header).chain(items).collect::<Vec<_>>().join("\n")
    })
}

/// Sections, and once in a while a line that breaks the file somewhere.
fn file(sections: impl Strategy<Value = String>, max: usize) -> impl Strategy<Value = String> {
    let broken = prop::sample::select(vec![
        "broken",
        "[profile a",
        "  continued",
        "= x",
        "caf\u{e9} = 1",
        "s4 =\n  no equals",
    ]);
    (
        prop::collection::vec(sections, 0..max),
        prop::option::weighted(0.2, (broken, any::<prop::sample::Index>())),
        any::<bool>(),
    )
        .prop_map(|(sections, broken, crlf)| {
            let mut lines: Vec<String> =
                sections.join("\n").split('\n').map(str::to_owned).collect();
            if let Some((line, at)) = broken {
                lines.insert(at.index(lines.len() + 1), line.to_owned());
            }
            lines.join(if crlf { "\r\n" } else { "\n" })
        })
}

fn property_line() -> impl Strategy<Value = String> {
    let session = prop::sample::select(vec!["corp", "other", "none"]);
    prop_oneof![
        name().prop_map(|n| format!("source_profile = {n}")),
        Just("role_arn = arn:aws:iam::123456789012:role/R".to_owned()),
        Just("credential_source = Environment".to_owned()),
        session.prop_map(|s| format!("sso_session = {s}")),
        Just("sso_account_id = 111122223333".to_owned()),
        Just("sso_role_name = ReadOnly".to_owned()),
        Just("sso_start_url = https://x.awsapps.com/start".to_owned()),
        Just("sso_region = us-east-1".to_owned()),
        Just("region = eu-west-1".to_owned()),
        Just("REGION = us-west-2".to_owned()),
        Just("region =".to_owned()),
        Just("aws_access_key_id = AKIDCONFIG".to_owned()),
        Just("aws_secret_access_key = secret".to_owned()),
        Just("credential_process = tool --x".to_owned()),
        Just("web_identity_token_file = /t".to_owned()),
        Just("services = dev".to_owned()),
        Just("output = json ; comment".to_owned()),
    ]
}

fn credentials_item() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "aws_access_key_id = AKIDCREDS",
        "aws_secret_access_key = s2",
        "aws_session_token = t",
        "region = ap-south-1",
        "role_arn = arn:aws:iam::1:role/X",
        "# c",
        "",
    ])
    .prop_map(str::to_owned)
}

fn credentials_header() -> impl Strategy<Value = String> {
    prop_oneof![4 => name().prop_map(|n| format!("[{n}]")), 1 => Just("[profile a]".to_owned())]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn one_profile_and_the_whole_files_resolve_every_profile_alike(
        config in file(section(config_header(), config_item()), 10),
        credentials in file(section(credentials_header(), credentials_item()), 4),
    ) {
        check_paths_agree(&config, &credentials)?;
    }
}

#[test]
fn the_usual_cases_agree() {
    let config = "\
# top
[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = eu-west-1
[profile a]
sso_session = corp
sso_account_id = 111122223333
sso_role_name = Admin
services = dev
[services dev]
s3 =
  endpoint_url = http://localhost:9000
[profile b]
role_arn = arn:aws:iam::444455556666:role/R
source_profile = a
[default]
region = us-east-1
[profile c]
role_arn = arn:aws:iam::444455556666:role/C
source_profile = b
[profile a]
REGION = eu-central-1
";
    let credentials = "[c]\naws_access_key_id = K\n[default]\noutput = json\n";
    check_paths_agree(config, credentials).unwrap();
}

/// A config large enough that headers and long lines straddle the 64 KiB blocks it is read in.
fn big_config() -> String {
    let mut text = String::from(
        "; generated\r\n[sso-session corp]\nsso_start_url = https://x/start\nsso_region = us-east-1\n",
    );
    for i in 0..4000_usize {
        let _ = write!(
            text,
            "[profile p{i}]\r\nsso_session = corp\nsso_account_id = {}\nsso_role_name = Admin\n",
            100_000_000_000 + i
        );
        if i % 7 == 0 {
            let _ = write!(text, "description = {}\n  continued\n", "x".repeat(i % 300 + 1));
        }
        if i == 1234 {
            // One line longer than a block.
            let _ = writeln!(text, "note = {}", "y".repeat(100_000));
        }
    }
    text.push_str("[profile p17]\nregion = eu-west-1\n");
    text
}

#[test]
fn profiles_of_a_big_config_read_in_blocks_are_the_same_one_by_one() {
    let config = big_config();
    let files = Files::new(&config, "[p3999]\nregion = x\n");
    let whole = files.load().unwrap();
    let names: Vec<String> =
        (0..4000).step_by(37).chain([0, 17, 1234, 1235, 3999]).map(|i| format!("p{i}")).collect();
    for name in &names {
        let one = files.load_profile(name).unwrap();
        same_for(&whole, &one, name).unwrap();
        assert_eq!(one.profiles().len(), 1, "only {name} is modelled");
    }
    let all: Vec<String> = whole.profiles().map(|p| p.name().to_owned()).collect();
    assert_eq!(profile_names(&files.paths, "").unwrap(), all);
    let p12: Vec<String> = all.iter().filter(|n| n.starts_with("p12")).cloned().collect();
    assert_eq!(profile_names(&files.paths, "p12").unwrap(), p12);
}

#[test]
fn a_broken_line_stops_the_profiles_that_use_its_section_and_the_whole_read() {
    let config = "[profile ok]\nregion = x\n[profile broken]\nregion = y\nno equals sign\n";
    let files = Files::new(config, "");
    let expected =
        format!("{}:5: expected an `=` sign defining a property", files.paths.config.display());
    assert_eq!(files.load().unwrap_err().to_string(), expected);
    assert_eq!(files.load_profile("broken").unwrap_err().to_string(), expected);
    let ok = files.load_profile("ok").unwrap();
    assert_eq!(ok.profile("ok").unwrap().get("region"), Some("x"));
    // A broken header is found wherever it is: its section could be any profile.
    let files = Files::new("[profile ok]\nregion = x\n[profile other\n", "");
    let err = files.load_profile("ok").unwrap_err().to_string();
    assert_eq!(
        err,
        format!("{}:3: section header must end with `]`", files.paths.config.display())
    );
}

#[test]
fn a_role_chain_longer_than_anybody_writes_is_still_followed() {
    let mut config =
        String::from("[profile p0]\naws_access_key_id = K\naws_secret_access_key = S\n");
    for i in 1..40 {
        let _ = write!(
            config,
            "[profile p{i}]\nrole_arn = arn:aws:iam::1:role/R{i}\nsource_profile = p{}\n",
            i - 1
        );
    }
    let files = Files::new(&config, "");
    let whole = files.load().unwrap();
    let one = files.load_profile("p39").unwrap();
    assert_eq!(one.credential_chain("p39").unwrap(), whole.credential_chain("p39").unwrap());
    assert_eq!(one.credential_chain("p39").unwrap().len(), 40);
}

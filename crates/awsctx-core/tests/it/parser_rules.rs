//! Every rule of the shared-file grammar (`docs/file-formats.md`), one hand-written case
//! each, so a clone without the upstream conformance data still checks the parser for real.
//! Each case is read whole ([`Config::from_sources`]) and, from real files, one profile at a
//! time ([`Config::load_profile`]); both must say what the case expects.

use awsctx_core::config::{Config, Section, Value};

use crate::config_owned::Files;

/// A rule, the two files, and what the parser makes of them: one line per profile, then per
/// `[sso-session]`, then per `[services]` section (`kind name: key=value, key={sub=value}`,
/// values escaped as Rust strings), then one per warning; or the one-line error.
struct Case {
    rule: &'static str,
    config: &'static str,
    credentials: &'static str,
    expect: &'static str,
}

const fn case(
    rule: &'static str,
    config: &'static str,
    credentials: &'static str,
    expect: &'static str,
) -> Case {
    Case { rule, config, credentials, expect }
}

const CASES: &[Case] = &[
    // Comments.
    case(
        "`#` and `;` lines and blank lines are skipped, before and inside sections",
        "# top\n; also\n\n[profile a]\n# inside\n\n; too\nregion = eu-west-1\n",
        "",
        "profile a: region=eu-west-1",
    ),
    case(
        "a comment after whitespace ends a value",
        "[profile a]\nregion = eu-west-1 # the team's\noutput = json\t; tab before\n",
        "",
        "profile a: region=eu-west-1, output=json",
    ),
    case(
        "`#` and `;` with no whitespace before them are part of the value",
        "[profile a]\nrole_arn = arn:aws:iam::1:role/a#b\nregion = x;y\n",
        "",
        "profile a: role_arn=arn:aws:iam::1:role/a#b, region=x;y",
    ),
    case(
        "a comment may follow a header's `]`, with or without a space",
        "[profile a] # first\nregion = x\n[profile b];second\nregion = y\n",
        "",
        "profile a: region=x\nprofile b: region=y",
    ),
    case(
        "an indented `#` line is a continuation, not a comment",
        "[profile a]\nregion = x\n  # not a comment\n",
        "",
        "profile a: region=x\\n# not a comment",
    ),
    // Continuation lines and sub-properties.
    case(
        "an indented line continues the value above, trimmed, after a line break",
        "[profile a]\nrole_arn = arn:aws:iam::1:role/\n  Admin\n\tOps  \n",
        "",
        "profile a: role_arn=arn:aws:iam::1:role/\\nAdmin\\nOps",
    ),
    case(
        "an indented line with no property above it is an error",
        "[profile a]\n  stray\n",
        "",
        "error ~/.aws/config:2: indented line, but no property above it in its section to continue",
    ),
    case(
        "indented lines under an empty value are sub-properties",
        "[profile a]\ns3 =\n  max_concurrent_requests = 10\n\taddressing_style=path\nregion = x\n",
        "",
        "profile a: s3={max_concurrent_requests=10, addressing_style=path}, region=x",
    ),
    case(
        "blank lines between sub-properties are skipped",
        "[profile a]\ns3 =\n  a = 1\n\n  b = 2\n",
        "",
        "profile a: s3={a=1, b=2}",
    ),
    case(
        "a sub-property needs an `=`",
        "[profile a]\ns3 =\n  max_concurrent_requests\n",
        "",
        "error ~/.aws/config:3: expected an `=` sign defining a sub-property",
    ),
    case(
        "a sub-property needs a name",
        "[profile a]\ns3 =\n  = 10\n",
        "",
        "error ~/.aws/config:3: sub-property has no name before its `=`",
    ),
    case(
        "an empty value with nothing indented under it stays empty",
        "[profile a]\nregion =\noutput = json\n",
        "",
        "profile a: region=, output=json",
    ),
    // Duplicates and the two files.
    case(
        "a section repeated in a file is one section; the last value of a key wins",
        "[profile a]\nregion = x\noutput = json\n[profile b]\n[profile a]\nregion = y\n",
        "",
        "profile a: region=y, output=json\nprofile b: ",
    ),
    case(
        "a key repeated in a section: the last value wins",
        "[profile a]\nregion = x\nregion = y\n",
        "",
        "profile a: region=y",
    ),
    case(
        "a profile in both files is one profile; the credentials file wins key by key",
        "[profile a]\nregion = eu-west-1\naws_access_key_id = CONFIG\n",
        "[a]\naws_access_key_id = CREDENTIALS\naws_secret_access_key = s\n",
        "profile a: region=eu-west-1, aws_access_key_id=CREDENTIALS, aws_secret_access_key=s",
    ),
    case(
        "a section repeated in the credentials file is one profile too",
        "",
        "[a]\naws_access_key_id = X\n[b]\n[a]\naws_access_key_id = Y\n",
        "profile a: aws_access_key_id=Y\nprofile b: ",
    ),
    // The `profile ` prefix and `default`.
    case(
        "the config file needs `profile ` before a name; a bare name is ignored and said",
        "[a]\nregion = x\n[profile b]\nregion = y\n",
        "",
        "profile b: region=y\nwarning ~/.aws/config:1: section `[a]` ignored: in the config file write `[profile a]`",
    ),
    case(
        "the credentials file takes bare names; a prefixed one is ignored and said",
        "",
        "[profile a]\nk = 1\n[b]\nk = 2\n",
        "profile b: k=2\nwarning ~/.aws/credentials:1: section `[profile a]` ignored: the credentials file takes bare profile names",
    ),
    case(
        "the prefix is a whole word: `[profilea]` is a bare name",
        "[profilea]\nregion = x\n",
        "",
        "warning ~/.aws/config:1: section `[profilea]` ignored: in the config file write `[profile profilea]`",
    ),
    case(
        "spaces and tabs around and between the header's words do not count",
        "[  profile   a  ]\nregion = x\n[profile\tb]\nregion = y\n",
        "",
        "profile a: region=x\nprofile b: region=y",
    ),
    case(
        "`[default]` needs no prefix in the config file",
        "[default]\nregion = x\n",
        "",
        "profile default: region=x",
    ),
    case(
        "`[profile default]` wins over `[default]`, which is ignored whole and said",
        "[default]\nregion = x\noutput = text\n[profile default]\nregion = y\n",
        "",
        "profile default: region=y\nwarning ~/.aws/config:1: section `[default]` ignored: `[profile default]` takes priority",
    ),
    case(
        "`default` in the config file and in the credentials file is one profile",
        "[profile default]\nregion = x\n",
        "[default]\naws_access_key_id = K\n",
        "profile default: region=x, aws_access_key_id=K",
    ),
    case(
        "`[sso-session]` and `[services]` sections are kept apart from profiles",
        "[profile a]\nsso_session = corp\nservices = dev\n[sso-session corp]\nsso_region = us-east-1\nsso_start_url = https://d-1.awsapps.com/start\n[services dev]\nsts =\n  endpoint_url = http://localhost:4566\n",
        "",
        "profile a: sso_session=corp, services=dev\nsso-session corp: sso_region=us-east-1, sso_start_url=https://d-1.awsapps.com/start\nservices dev: sts={endpoint_url=http://localhost:4566}",
    ),
    // Invalid lines.
    case(
        "a property before any section is an error",
        "region = x\n[profile a]\n",
        "",
        "error ~/.aws/config:1: expected a section header such as `[profile name]` before this line",
    ),
    case(
        "a header must end with `]`",
        "[profile a]\nregion = x\n[profile b\n",
        "",
        "error ~/.aws/config:3: section header must end with `]`",
    ),
    case(
        "a property needs an `=`",
        "[profile a]\nregion eu-west-1\n",
        "",
        "error ~/.aws/config:2: expected an `=` sign defining a property",
    ),
    case(
        "a property needs a name",
        "[profile a]\n= eu-west-1\n",
        "",
        "error ~/.aws/config:2: property has no name before its `=`",
    ),
    case(
        "an error in the credentials file names that file",
        "[profile a]\n",
        "[a]\nno equals sign\n",
        "error ~/.aws/credentials:2: expected an `=` sign defining a property",
    ),
    case(
        "a key with characters outside `A-Za-z0-9_-/.%@:+` is ignored and said",
        "[profile a]\nbad key = 1\ngood/key.x%y@z:1+2 = 2\n",
        "",
        "profile a: good/key.x%y@z:1+2=2\nwarning ~/.aws/config:2: key `bad key` in `[profile a]` ignored: keys may only contain `A-Za-z0-9_-/.%@:+`",
    ),
    case(
        "a section name with other characters is ignored and said",
        "[profile a!b]\nregion = x\n[profile a b]\nregion = y\n",
        "",
        "warning ~/.aws/config:1: section `[profile a!b]` ignored: names may only contain `A-Za-z0-9_-/.%@:+`\nwarning ~/.aws/config:3: section `[profile a b]` ignored: names may only contain `A-Za-z0-9_-/.%@:+`",
    ),
    // Whitespace and line endings.
    case(
        "spaces and tabs around keys and values are trimmed; the first `=` splits",
        "[profile a]\nregion\t=\t  eu-west-1  \nrole_arn=a=b\n",
        "",
        "profile a: region=eu-west-1, role_arn=a=b",
    ),
    case(
        "CRLF line endings read as LF",
        "[profile a]\r\nregion = x\r\ns3 =\r\n  a = 1\r\n",
        "",
        "profile a: region=x, s3={a=1}",
    ),
    // Case.
    case(
        "keys are lower-cased; names and values keep their case",
        "[profile Prod]\nREGION = EU-West-1\nSso_Role_Name = Admin\n",
        "",
        "profile Prod: region=EU-West-1, sso_role_name=Admin",
    ),
    case(
        "the prefix is case-sensitive: `[PROFILE a]` is no profile",
        "[PROFILE a]\nregion = x\n",
        "",
        "",
    ),
];

/// What the parser made of the files, as [`Case::expect`] writes it.
fn render(config: &Config) -> String {
    let mut lines = Vec::new();
    for profile in config.profiles() {
        lines.push(format!("profile {}", section(&profile)));
    }
    for session in config.sso_session_sections() {
        lines.push(format!("sso-session {}", section(&session)));
    }
    for services in config.services_sections() {
        lines.push(format!("services {}", section(&services)));
    }
    lines.extend(config.warnings().iter().map(|w| format!("warning {w}")));
    lines.join("\n")
}

fn section(section: &Section<'_>) -> String {
    let properties: Vec<String> = section
        .properties()
        .map(|(key, value)| match value {
            Value::Simple(s) => format!("{key}={}", s.escape_debug()),
            Value::Nested(nested) => {
                let subs: Vec<String> = nested.iter().map(|(k, v)| format!("{k}={v}")).collect();
                format!("{key}={{{}}}", subs.join(", "))
            }
        })
        .collect();
    format!("{}: {}", section.name(), properties.join(", "))
}

#[test]
fn every_grammar_rule_reads_the_same_whole_and_one_profile_at_a_time() {
    let mut failures = Vec::new();
    for case in CASES {
        let whole = match Config::from_sources(case.config, case.credentials) {
            Ok(config) => render(&config),
            Err(err) => format!("error {err}"),
        };
        if whole != case.expect {
            failures.push(format!(
                "{}:\n  expected {:?}\n  got      {whole:?}",
                case.rule, case.expect
            ));
            continue;
        }
        let files = Files::new(case.config, case.credentials);
        let Ok(config) = files.load() else {
            // Every error case breaks profile `a`'s lines, or lines before every section.
            let err = files.load_profile("a").expect_err(case.rule).to_string();
            let err = err
                .replace(&*files.paths.config.to_string_lossy(), "~/.aws/config")
                .replace(&*files.paths.credentials.to_string_lossy(), "~/.aws/credentials");
            assert_eq!(format!("error {err}"), case.expect, "{}: one profile", case.rule);
            continue;
        };
        for profile in config.profiles() {
            let one =
                files.load_profile(profile.name()).unwrap_or_else(|e| panic!("{}: {e}", case.rule));
            let alone = one.profile(profile.name()).expect("the profile asked for");
            assert_eq!(section(&alone), section(&profile), "{}: one profile", case.rule);
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} rules differ:\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
}

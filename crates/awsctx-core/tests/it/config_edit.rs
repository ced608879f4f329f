//! The line-preserving editor: exact results on messy files, managed blocks, saving under a
//! lock, and property tests that random edits change only their own lines and re-parse to
//! the intended model.

use std::os::unix::fs::PermissionsExt;

use awsctx_core::config::edit::ManagedProfile;
use awsctx_core::config::{Config, ConfigDocument, EditError, SectionName};
use indexmap::IndexMap;
use proptest::prelude::*;

use crate::config_owned::{Props, props, simple};

fn profile(name: &str) -> SectionName {
    SectionName::Profile(name.to_owned())
}

fn edited(text: &str, edit: impl FnOnce(&mut ConfigDocument)) -> String {
    let mut doc = ConfigDocument::parse(text);
    edit(&mut doc);
    doc.text()
}

#[test]
fn parse_then_text_gives_back_every_byte() {
    for text in ["", "\n", "a", "a\r\n\r\nb", "[x]\r\n\tk\r\r\n", "x\r", "\u{feff}[p]\n"] {
        assert_eq!(ConfigDocument::parse(text).text(), text);
    }
}

#[test]
fn set_rewrites_the_line_in_place_and_keeps_its_crlf() {
    let text =
        "# mine\r\n[default]\r\nregion=us-east-1   ; old\r\n\r\n;c\r\n[profile a]\r\noutput = json";
    let out = edited(text, |d| d.set(&SectionName::Default, "region", "eu-west-1").unwrap());
    assert_eq!(
        out,
        "# mine\r\n[default]\r\nregion = eu-west-1\r\n\r\n;c\r\n[profile a]\r\noutput = json"
    );
}

#[test]
fn set_inserts_after_the_last_property_and_its_continuation_lines() {
    let text = "[profile a]\nregion = x\n    more\n# about b\n\n[profile b]\n";
    let out = edited(text, |d| d.set(&profile("a"), "output", "json").unwrap());
    assert_eq!(out, "[profile a]\nregion = x\n    more\noutput = json\n# about b\n\n[profile b]\n");
}

#[test]
fn set_drops_the_continuation_lines_of_the_value_it_replaces() {
    let text = "[profile a]\ns3 =\n  addressing_style = path\nregion = x\n";
    let out = edited(text, |d| d.set(&profile("a"), "S3", "plain").unwrap());
    assert_eq!(out, "[profile a]\nS3 = plain\nregion = x\n");
}

#[test]
fn a_new_section_goes_at_the_end_after_a_newline_is_added() {
    let out = edited("[profile a]\nregion = x", |d| d.set(&profile("b"), "region", "y").unwrap());
    assert_eq!(out, "[profile a]\nregion = x\n[profile b]\nregion = y\n");
    let out = edited("", |d| {
        d.set(&SectionName::SsoSession("corp".into()), "sso_region", "us-east-1").unwrap();
    });
    assert_eq!(out, "[sso-session corp]\nsso_region = us-east-1\n");
}

#[test]
fn new_lines_use_the_dominant_line_ending() {
    let out = edited("[profile a]\r\nregion = x\r\n[profile b]\n", |d| {
        d.set(&profile("a"), "output", "json").unwrap();
        d.add_section(&profile("c"), &[("region", "y")]).unwrap();
    });
    assert_eq!(
        out,
        "[profile a]\r\nregion = x\r\noutput = json\r\n[profile b]\n[profile c]\r\nregion = y\r\n"
    );
}

#[test]
fn profile_default_is_edited_where_it_hides_default() {
    let text = "[default]\nregion = a\n[profile default]\noutput = json\n";
    let out = edited(text, |d| d.set(&SectionName::Default, "region", "b").unwrap());
    assert_eq!(out, "[default]\nregion = a\n[profile default]\noutput = json\nregion = b\n");
    let config = Config::from_sources(&out, "").unwrap();
    assert_eq!(config.profile("default").unwrap().get("region"), Some("b"));
}

#[test]
fn remove_takes_the_key_out_of_every_repeated_section() {
    let text = "[profile a]\nregion = x\n  cont\n[profile b]\nregion = keep\n[profile a]\nRegion = y\noutput = json\n";
    let mut doc = ConfigDocument::parse(text);
    assert!(doc.remove(&profile("a"), "region").unwrap());
    assert!(!doc.remove(&profile("a"), "region").unwrap());
    assert_eq!(doc.text(), "[profile a]\n[profile b]\nregion = keep\n[profile a]\noutput = json\n");
}

#[test]
fn remove_section_keeps_the_comments_that_follow_it() {
    let text = "[profile a]\n# inside\nregion = x\n\n# about b\n[profile b]\nk = v\n[default]\n[profile default]\n";
    let mut doc = ConfigDocument::parse(text);
    assert!(doc.remove_section(&profile("a")).unwrap());
    assert!(doc.remove_section(&SectionName::Default).unwrap());
    assert!(!doc.remove_section(&profile("zzz")).unwrap());
    assert_eq!(doc.text(), "\n# about b\n[profile b]\nk = v\n");
}

#[test]
fn headers_are_rendered_and_quoted_like_the_aws_cli() {
    assert_eq!(SectionName::Default.header(), "[default]");
    assert_eq!(profile("default").header(), "[default]");
    assert_eq!(profile("my name").header(), "[profile 'my name']");
    assert_eq!(profile("it's me").header(), "[profile 'it'\"'\"'s me']");
    assert_eq!(SectionName::Services("dev".into()).header(), "[services dev]");
    assert_eq!(SectionName::Credentials("p".into()).header(), "[p]");
    // A quoted header is found again by its name.
    let mut doc = ConfigDocument::parse("[profile   'my name']\nregion = x\n");
    assert!(doc.has_section(&profile("my name")));
    doc.set(&profile("my name"), "region", "y").unwrap();
    assert_eq!(doc.text(), "[profile   'my name']\nregion = y\n");
}

#[test]
fn values_that_would_not_read_back_are_refused_and_change_nothing() {
    let mut doc = ConfigDocument::parse("[profile a]\n");
    let a = profile("a");
    assert!(matches!(doc.set(&a, "k", "x\ny"), Err(EditError::ValueHasLineBreak { .. })));
    assert!(matches!(doc.set(&a, "k", "x\r"), Err(EditError::ValueHasLineBreak { .. })));
    assert!(matches!(doc.set(&a, "k", " x"), Err(EditError::ValueHasOuterWhitespace { .. })));
    assert!(matches!(doc.set(&a, "k", "x ;y"), Err(EditError::ValueHasInlineComment { .. })));
    assert!(matches!(doc.set(&a, "k", "#x"), Err(EditError::ValueHasInlineComment { .. })));
    assert!(matches!(doc.set(&a, "bad key", "x"), Err(EditError::InvalidKey { .. })));
    assert!(matches!(
        doc.set(&profile("a]b"), "k", "x"),
        Err(EditError::InvalidSectionName { .. })
    ));
    assert!(matches!(doc.add_section(&a, &[]), Err(EditError::SectionExists { .. })));
    assert_eq!(doc.text(), "[profile a]\n");
    doc.set(&a, "k", "x;y#z").unwrap();
    assert_eq!(
        Config::from_sources(&doc.text(), "").unwrap().profile("a").unwrap().get("k"),
        Some("x;y#z")
    );
}

#[test]
fn set_nested_writes_sub_properties_that_read_back() {
    let out = edited("[services dev]\ns3 = old\n", |d| {
        let dev = SectionName::Services("dev".into());
        d.set_nested(&dev, "s3", &[("endpoint_url", "http://localhost:9000")]).unwrap();
    });
    assert_eq!(out, "[services dev]\ns3 =\n    endpoint_url = http://localhost:9000\n");
    let config = Config::from_sources(&out, "").unwrap();
    let nested = config.services_section("dev").unwrap().value("s3").unwrap().as_nested().unwrap();
    assert_eq!(nested.get("endpoint_url"), Some("http://localhost:9000"));
}

#[test]
fn save_keeps_a_backup_writes_through_a_symlink_and_refuses_a_concurrent_change() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("dotfiles-config");
    let link = dir.path().join("config");
    std::fs::write(&real, "[profile a]\nregion = x\n").unwrap();
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o640)).unwrap();
    std::os::unix::fs::symlink(&real, &link).unwrap();

    let mut doc = ConfigDocument::load(&link).unwrap();
    doc.set(&profile("a"), "region", "y").unwrap();
    doc.save(&link).unwrap();
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    assert_eq!(std::fs::read_to_string(&real).unwrap(), "[profile a]\nregion = y\n");
    assert_eq!(std::fs::metadata(&real).unwrap().permissions().mode() & 0o777, 0o640);
    let backup = dir.path().join("config.awsctx.bak");
    assert_eq!(std::fs::read_to_string(&backup).unwrap(), "[profile a]\nregion = x\n");
    assert!(dir.path().join(".config.awsctx.lock").exists());
    // Saving the same document again is a no-op, not a conflict.
    doc.save(&link).unwrap();

    let mut stale = ConfigDocument::parse("[profile a]\nregion = x\n");
    stale.set(&profile("a"), "output", "json").unwrap();
    let err = stale.save(&link).unwrap_err();
    assert!(matches!(err, EditError::ChangedOnDisk { .. }), "{err}");
    assert_eq!(std::fs::read_to_string(&real).unwrap(), "[profile a]\nregion = y\n");
}

#[test]
fn save_creates_a_new_private_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("aws/config");
    let mut doc = ConfigDocument::load(&path).unwrap();
    doc.add_section(&profile("p"), &[("region", "x")]).unwrap();
    doc.save(&path).unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "[profile p]\nregion = x\n");
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
}

// ---- property tests -------------------------------------------------------------------

/// Messy files: comments of both kinds, indented comments (continuations to the SDKs),
/// blank and whitespace-only lines, CRLF and mixed endings, tabs, odd spacing, repeated
/// sections, sub-properties, `[default]` beside `[profile default]`, a managed block, no
/// final newline.
pub(crate) const CORPUS: &[&str] = &[
    "# Managed by hand\n; semicolon comment\n\n[default]\nregion=us-east-1\noutput   =\tjson   \n\n  \n[profile dev]   # trailing comment\nsso_session = corp\nsso_account_id = 111122223333\n    # indented comment continues the value\nsso_role_name = Dev\n\n[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = eu-west-1\n[profile dev]\nregion = eu-central-1\ns3 =\n  max_concurrent_requests = 10\n\n  addressing_style = path\n# BEGIN awsctx managed: sso-session corp\n[profile m-0-x]\nsso_session = corp\n# END awsctx managed: sso-session corp\n[profile prod]\nregion = us-west-2",
    "[profile prod]\r\nregion\t=\tus-east-1\r\noutput = text ; inline comment\r\n\r\n[profile default]\r\nregion = ap-south-1\r\n[default]\r\nregion = shadowed\r\n\t\r\n;bye\r\n",
    "",
    "\n\n# only comments\n",
    "[profile dev]\nregion = a\r\n[services local]\ns3 =\n  endpoint_url = http://localhost\n[profile prod]\r\n",
];

const SECTIONS: &[&str] = &["default", "dev", "prod", "new-one", "sso:corp", "svc:local"];
const KEYS: &[&str] = &["region", "output", "Region", "sso_session", "x-y", "s3", "sso_account_id"];
const VALUES: &[&str] = &["us-east-1", "json", "a=b", "x;y", "", "café", "http://h:1/p#frag"];
const BLOCK_IDS: &[&str] = &["sso-session corp", "other"];

fn section(i: usize) -> SectionName {
    match SECTIONS[i] {
        "default" => SectionName::Default,
        name => match name.split_once(':') {
            Some(("sso", n)) => SectionName::SsoSession(n.to_owned()),
            Some(("svc", n)) => SectionName::Services(n.to_owned()),
            _ => SectionName::Profile(name.to_owned()),
        },
    }
}

/// Block contents; their profile names (`m-BLOCK-*`) appear nowhere else.
fn block_content(block: usize, variant: usize) -> Vec<ManagedProfile> {
    let profile = |name: &str, keys: &[(&str, &str)]| {
        let name = format!("m-{block}-{name}");
        ManagedProfile {
            from: Some(name.clone()),
            name,
            keys: keys.iter().map(|&(k, v)| (k.to_owned(), v.to_owned())).collect(),
        }
    };
    match variant {
        0 => Vec::new(),
        1 => vec![profile("a", &[("region", "x")])],
        2 => vec![profile("a", &[("region", "y")]), profile("b", &[("output", "json")])],
        _ => vec![profile("c", &[("sso_session", "corp"), ("Region", "")])],
    }
}

/// What a block of `profiles` reads as.
fn block_text(profiles: &[ManagedProfile]) -> String {
    let mut text = String::new();
    for p in profiles {
        text.push_str(&SectionName::Profile(p.name.clone()).header());
        text.push('\n');
        for (k, v) in &p.keys {
            text.push_str(&property_line(k, v));
            text.push('\n');
        }
    }
    text
}

#[derive(Debug, Clone)]
enum Op {
    Set(usize, usize, usize),
    Remove(usize, usize),
    AddSection(usize, usize, usize),
    RemoveSection(usize),
    SetBlock(usize, usize),
    RemoveBlock(usize),
}

fn op() -> impl Strategy<Value = Op> {
    let (s, k, v, b) = (SECTIONS.len(), KEYS.len(), VALUES.len(), BLOCK_IDS.len());
    prop_oneof![
        3 => (0..s, 0..k, 0..v).prop_map(|(s, k, v)| Op::Set(s, k, v)),
        2 => (0..s, 0..k).prop_map(|(s, k)| Op::Remove(s, k)),
        1 => (0..s, 0..k, 0..v).prop_map(|(s, k, v)| Op::AddSection(s, k, v)),
        1 => (0..s).prop_map(Op::RemoveSection),
        1 => (0..b, 0..4_usize).prop_map(|(b, c)| Op::SetBlock(b, c)),
        1 => (0..b).prop_map(Op::RemoveBlock),
    ]
}

pub(crate) type Model = IndexMap<SectionName, Props>;

/// The sections the SDK parser sees, keyed like the editor names them.
pub(crate) fn model_of(text: &str) -> Model {
    let config = Config::from_sources(text, "").unwrap_or_else(|e| panic!("{e}\n---\n{text}"));
    let mut model = Model::new();
    for p in config.profiles() {
        let key = if p.name() == "default" {
            SectionName::Default
        } else {
            SectionName::Profile(p.name().to_owned())
        };
        model.insert(key, props(&p));
    }
    for s in config.sso_session_sections() {
        model.insert(SectionName::SsoSession(s.name().to_owned()), props(&s));
    }
    for s in config.services_sections() {
        model.insert(SectionName::Services(s.name().to_owned()), props(&s));
    }
    model
}

/// Lines with their endings.
fn lines(text: &str) -> Vec<&str> {
    text.split_inclusive('\n').collect()
}

/// The old lines an LCS diff deletes (by index) and the new lines it inserts.
fn diff<'a>(old: &[&str], new: &[&'a str]) -> (Vec<usize>, Vec<&'a str>) {
    let (n, m) = (old.len(), new.len());
    let mut table = vec![vec![0_u16; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            table[i][j] = if old[i] == new[j] {
                table[i + 1][j + 1] + 1
            } else {
                table[i + 1][j].max(table[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut deleted, mut inserted) = (0, 0, Vec::new(), Vec::new());
    while i < n || j < m {
        if i < n && j < m && old[i] == new[j] {
            i += 1;
            j += 1;
        } else if j < m && (i == n || table[i][j + 1] >= table[i + 1][j]) {
            inserted.push(new[j]);
            j += 1;
        } else {
            deleted.push(i);
            i += 1;
        }
    }
    (deleted, inserted)
}

fn bare(line: &str) -> &str {
    line.trim_end_matches('\n').trim_end_matches('\r')
}

fn is_continuation(line: &str) -> bool {
    line.starts_with([' ', '\t']) && !bare(line).trim().is_empty()
}

fn is_key_line(line: &str, key: &str) -> bool {
    !line.starts_with([' ', '\t', '#', ';', '['])
        && line.split_once('=').is_some_and(|(k, _)| k.trim().eq_ignore_ascii_case(key))
}

/// The indices of blank and comment lines followed by a continuation line: they sit inside
/// a property's lines, and go with it.
fn interior_lines(text: &str) -> Vec<usize> {
    let all = lines(text);
    let skipped = |l: &str| bare(l).trim().is_empty() || l.starts_with(['#', ';']);
    (0..all.len())
        .filter(|&i| {
            skipped(all[i])
                && all[i..].iter().find(|l| !skipped(l)).is_some_and(|l| is_continuation(l))
        })
        .collect()
}

/// The indices of blank and comment lines followed by a property or continuation line: they
/// sit inside a section, and go with it.
fn inside_lines(text: &str) -> Vec<usize> {
    let all = lines(text);
    let skipped = |l: &str| bare(l).trim().is_empty() || l.starts_with(['#', ';']);
    (0..all.len())
        .filter(|&i| {
            skipped(all[i])
                && all[i..].iter().find(|l| !skipped(l)).is_some_and(|l| !l.starts_with('['))
        })
        .collect()
}

fn property_line(key: &str, value: &str) -> String {
    if value.is_empty() { format!("{key} =") } else { format!("{key} = {value}") }
}

/// The document before an edit, with the facts the checks need.
struct Before {
    text: String,
    /// Blank/comment lines inside a property's lines.
    interior: Vec<usize>,
    /// Blank/comment lines inside a section.
    inside: Vec<usize>,
    /// The last line, when it has no line ending (an edit may add one).
    unterminated_last: Option<String>,
}

impl Before {
    fn new(text: String) -> Self {
        let unterminated_last =
            lines(&text).last().filter(|l| !l.ends_with('\n')).map(|&l| l.to_owned());
        Self {
            interior: interior_lines(&text),
            inside: inside_lines(&text),
            unterminated_last,
            text,
        }
    }

    fn is_unterminated_last(&self, line: &str) -> bool {
        self.unterminated_last.as_deref().is_some_and(|last| bare(line) == bare(last))
    }
}

/// Whether an old line (index, text) may be deleted.
type LinePredicate<'a> = Box<dyn Fn(usize, &str) -> bool + 'a>;

/// Which old lines an edit may delete, and which lines it may write.
struct Expected<'a> {
    deletable: LinePredicate<'a>,
    insertable: Vec<String>,
}

/// Apply `op` to the document and to the model.
fn apply<'a>(
    doc: &mut ConfigDocument,
    model: &mut Model,
    op: &Op,
    before: &'a Before,
) -> Result<Expected<'a>, TestCaseError> {
    Ok(match *op {
        Op::Set(s, k, v) => {
            let (sec, key, value) = (section(s), KEYS[k], VALUES[v]);
            let result = doc.set(&sec, key, value);
            prop_assert!(result.is_ok(), "{result:?}");
            let props = model.entry(sec.clone()).or_default();
            props.insert(key.to_ascii_lowercase(), simple(value));
            Expected {
                deletable: Box::new(move |i, l| {
                    is_key_line(l, key)
                        || is_continuation(l)
                        || before.interior.contains(&i)
                        || before.is_unterminated_last(l)
                }),
                insertable: vec![property_line(key, value), sec.header()],
            }
        }
        Op::Remove(s, k) => {
            let (sec, key) = (section(s), KEYS[k]);
            let removed = doc.remove(&sec, key).unwrap();
            let had = model.get_mut(&sec).and_then(|p| p.shift_remove(&key.to_ascii_lowercase()));
            prop_assert_eq!(removed, had.is_some());
            Expected {
                deletable: Box::new(move |i, l| {
                    is_key_line(l, key) || is_continuation(l) || before.interior.contains(&i)
                }),
                insertable: vec![],
            }
        }
        Op::AddSection(s, k, v) => {
            let (sec, key, value) = (section(s), KEYS[k], VALUES[v]);
            match doc.add_section(&sec, &[(key, value)]) {
                Ok(()) => {
                    prop_assert!(!model.contains_key(&sec));
                    let props = [(key.to_ascii_lowercase(), simple(value))].into_iter().collect();
                    model.insert(sec.clone(), props);
                }
                Err(EditError::SectionExists { .. }) => {
                    prop_assert!(model.contains_key(&sec), "{sec} reported as existing");
                    prop_assert_eq!(&doc.text(), &before.text);
                }
                Err(e) => return Err(TestCaseError::fail(e.to_string())),
            }
            Expected {
                deletable: Box::new(|_, l| before.is_unterminated_last(l)),
                insertable: vec![sec.header(), property_line(key, value)],
            }
        }
        Op::RemoveSection(s) => {
            let sec = section(s);
            let removed = doc.remove_section(&sec).unwrap();
            prop_assert_eq!(removed, model.shift_remove(&sec).is_some());
            let name = match &sec {
                SectionName::Default => "default".to_owned(),
                SectionName::Profile(n)
                | SectionName::SsoSession(n)
                | SectionName::Services(n)
                | SectionName::Credentials(n) => n.clone(),
            };
            Expected {
                deletable: Box::new(move |i, l| {
                    let property = !l.starts_with(['[', '#', ';']) && !bare(l).trim().is_empty();
                    let header = l.starts_with('[') && l.contains(name.as_str());
                    !l.contains("awsctx managed:")
                        && (header || property || before.inside.contains(&i))
                }),
                insertable: vec![],
            }
        }
        Op::SetBlock(..) | Op::RemoveBlock(..) => return apply_block(doc, model, op, before),
    })
}

/// Apply a managed-block `op` to the document and to the model.
fn apply_block<'a>(
    doc: &mut ConfigDocument,
    model: &mut Model,
    op: &Op,
    before: &'a Before,
) -> Result<Expected<'a>, TestCaseError> {
    let old_block =
        |doc: &ConfigDocument, id: &str| doc.managed_block(id).unwrap().unwrap_or_default();
    Ok(match *op {
        Op::SetBlock(b, c) => {
            let (id, content) = (BLOCK_IDS[b], block_content(b, c));
            let old = old_block(doc, id);
            doc.set_managed_block(id, &content).unwrap();
            for name in model_of(&old).into_keys() {
                model.shift_remove(&name);
            }
            let content = block_text(&content);
            model.extend(model_of(&content));
            let old_lines: Vec<String> = lines(&old).iter().map(|l| bare(l).to_owned()).collect();
            let mut insertable: Vec<String> =
                lines(&content).iter().map(|l| bare(l).to_owned()).collect();
            insertable.push(format!("# BEGIN awsctx managed: {id}"));
            insertable.push(format!("# END awsctx managed: {id}"));
            insertable.push(String::new());
            Expected {
                deletable: Box::new(move |_, l| {
                    old_lines.iter().any(|o| o == bare(l))
                        || l.contains("awsctx managed:")
                        || before.is_unterminated_last(l)
                }),
                insertable,
            }
        }
        Op::RemoveBlock(b) => {
            let id = BLOCK_IDS[b];
            let old = old_block(doc, id);
            let existed = doc.remove_managed_block(id).unwrap();
            for name in model_of(&old).into_keys() {
                model.shift_remove(&name);
            }
            prop_assert_eq!(existed, doc.text() != before.text);
            let old_lines: Vec<String> = lines(&old).iter().map(|l| bare(l).to_owned()).collect();
            Expected {
                deletable: Box::new(move |_, l| {
                    old_lines.iter().any(|o| o == bare(l)) || l.contains("awsctx managed:")
                }),
                insertable: vec![],
            }
        }
        _ => unreachable!("not a block edit"),
    })
}

/// Check that the lines that changed from `before` to `after` are only those `op` concerns,
/// and that new lines end like the rest of the file.
fn check_lines(
    op: &Op,
    before: &Before,
    after: &str,
    expected: &Expected<'_>,
) -> Result<(), TestCaseError> {
    let old_lines = lines(&before.text);
    let (deleted, inserted) = diff(&old_lines, &lines(after));
    for &index in &deleted {
        let line = old_lines[index];
        // The diff may credit the deletion to another copy of an identical line (a blank
        // line, say); accept it when a kept copy is one the edit may delete.
        let swapped = (0..old_lines.len()).any(|j| {
            old_lines[j] == line && !deleted.contains(&j) && (expected.deletable)(j, line)
        });
        prop_assert!(
            (expected.deletable)(index, line) || swapped,
            "{op:?} changed an unrelated line {line:?}\n--- before\n{}\n--- after\n{after}",
            before.text
        );
    }
    let crlf = old_lines.iter().filter(|l| l.ends_with("\r\n")).count();
    let terminated = old_lines.len() - usize::from(before.unterminated_last.is_some());
    let dominant = if 2 * crlf > terminated { "\r\n" } else { "\n" };
    let old_endings: Vec<&str> =
        deleted.iter().map(|&i| &old_lines[i][bare(old_lines[i]).len()..]).collect();
    for line in inserted {
        let ending = &line[bare(line).len()..];
        // Only the last line of a file can lack an ending.
        prop_assert!(
            ending == dominant || old_endings.contains(&ending) || ending.is_empty(),
            "{op:?} ended {line:?} with {ending:?}, not the file's {dominant:?}\n--- after\n{after}"
        );
        let ok = expected.insertable.iter().any(|i| i == bare(line))
            || before.is_unterminated_last(line);
        prop_assert!(
            ok,
            "{op:?} wrote an unexpected line {line:?}\n--- before\n{}\n--- after\n{after}",
            before.text
        );
    }
    Ok(())
}

/// Apply `op` to the document and to the model; check the changed lines and the re-parse.
fn check_op(doc: &mut ConfigDocument, model: &mut Model, op: &Op) -> Result<(), TestCaseError> {
    let before = Before::new(doc.text());
    let expected = apply(doc, model, op, &before)?;
    let after = doc.text();
    check_lines(op, &before, &after, &expected)?;
    prop_assert_eq!(&model_of(&after), &*model, "{:?}\n--- after\n{}", op, after);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn random_edits_change_only_their_own_lines_and_read_back_as_intended(
        file in 0..CORPUS.len(),
        ops in prop::collection::vec(op(), 1..10),
    ) {
        let mut doc = ConfigDocument::parse(CORPUS[file]);
        let mut model = model_of(CORPUS[file]);
        for op in &ops {
            check_op(&mut doc, &mut model, op)?;
        }
    }

    #[test]
    fn editing_arbitrary_text_never_panics(
        text in r"([\[\] \t=#;a-z\r\n-]{0,10}\n){0,10}",
        key in "[a-z]{1,3}",
        value in "[a-z;# =]{0,4}",
    ) {
        let mut doc = ConfigDocument::parse(&text);
        prop_assert_eq!(doc.text(), text.clone());
        let _ = doc.set(&SectionName::Profile("a".into()), &key, &value);
        let _ = doc.remove(&SectionName::Default, &key);
        let _ = doc.remove_section(&SectionName::Profile("b".into()));
        let _ = doc.set_managed_block("b", &[ManagedProfile {
            name: key.clone(),
            from: Some(key.clone()),
            keys: vec![(key.clone(), value.clone())],
        }]);
        let _ = doc.remove_managed_block("b");
    }
}

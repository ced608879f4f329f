//! Managed blocks: `populate` owns the headers and the keys it writes; every other line of a
//! generated section is the user's. Exact results for the cases the AWS CLI produces (a key
//! appended after the `END` marker, one put after `BEGIN`), and a property test in which
//! `aws configure set` edits (its writer's algorithm, quirks included) and hand edits come
//! between populate runs on messy files: no user key is ever lost or moved to another profile.

use std::collections::{BTreeMap, BTreeSet};

use awsctx_core::config::edit::ManagedProfile;
use awsctx_core::config::{Config, ConfigDocument, EditError, SectionName};
use proptest::prelude::*;

use crate::config_edit::{CORPUS, Model, model_of};
use crate::config_owned::simple;

const BLOCK: &str = "sso-session corp";

/// A profile as populate writes it: continuing the block's own section of that name.
fn generated(name: &str, keys: &[(&str, &str)]) -> ManagedProfile {
    ManagedProfile {
        name: name.to_owned(),
        from: Some(name.to_owned()),
        keys: keys.iter().map(|&(k, v)| (k.to_owned(), v.to_owned())).collect(),
    }
}

fn populated(text: &str, profiles: &[ManagedProfile]) -> String {
    let mut doc = ConfigDocument::parse(text);
    doc.set_managed_block(BLOCK, profiles).unwrap();
    doc.text()
}

/// `key=value` for each key of `profile`, as the SDKs read the file.
fn properties(text: &str, profile: &str) -> Vec<String> {
    let config = Config::from_sources(text, "").unwrap_or_else(|e| panic!("{e}\n{text}"));
    config.profile(profile).map_or_else(Vec::new, |p| {
        p.properties().map(|(k, v)| format!("{k}={}", v.as_simple().unwrap_or(""))).collect()
    })
}

#[test]
fn a_block_is_appended_then_updated_in_place_then_removed() {
    let mut doc = ConfigDocument::parse("[profile mine]\r\nregion = x");
    assert_eq!(doc.managed_block(BLOCK).unwrap(), None);
    doc.set_managed_block(BLOCK, &[generated("a", &[("sso_session", "corp")])]).unwrap();
    let appended = "[profile mine]\r\nregion = x\r\n\r\n# BEGIN awsctx managed: sso-session corp\r\n[profile a]\r\nsso_session = corp\r\n# END awsctx managed: sso-session corp\r\n";
    assert_eq!(doc.text(), appended);
    doc.set(&SectionName::Profile("after".into()), "k", "v").unwrap();
    doc.set_managed_block(
        BLOCK,
        &[generated("a", &[("sso_session", "corp")]), generated("b", &[("sso_session", "corp")])],
    )
    .unwrap();
    assert_eq!(
        doc.text(),
        "[profile mine]\r\nregion = x\r\n\r\n# BEGIN awsctx managed: sso-session corp\r\n[profile a]\r\nsso_session = corp\r\n\r\n[profile b]\r\nsso_session = corp\r\n# END awsctx managed: sso-session corp\r\n[profile after]\r\nk = v\r\n"
    );
    assert_eq!(
        doc.managed_block(BLOCK).unwrap().as_deref(),
        Some("[profile a]\r\nsso_session = corp\r\n\r\n[profile b]\r\nsso_session = corp\r\n")
    );
    // A key added to the section above the block lands above the block.
    doc.set(&SectionName::Profile("mine".into()), "output", "json").unwrap();
    assert!(doc.text().starts_with("[profile mine]\r\nregion = x\r\noutput = json\r\n\r\n# BEGIN"));
    doc.set_managed_block(BLOCK, &[]).unwrap();
    assert_eq!(
        doc.text(),
        "[profile mine]\r\nregion = x\r\noutput = json\r\n\r\n[profile after]\r\nk = v\r\n"
    );
    assert_eq!(doc.managed_block(BLOCK).unwrap(), None);
}

#[test]
fn a_new_block_is_one_blank_line_below_the_section_above_it() {
    let corp = generated("a", &[("sso_session", "corp")]);
    let session = "[sso-session corp]\nsso_region = us-east-1\n";
    let block = "# BEGIN awsctx managed: sso-session corp\n[profile a]\nsso_session = corp\n# END awsctx managed: sso-session corp\n";
    assert_eq!(populated(session, std::slice::from_ref(&corp)), format!("{session}\n{block}"));
    // A blank line already there is enough; an empty file needs none.
    let spaced = format!("{session}\n");
    assert_eq!(populated(&spaced, std::slice::from_ref(&corp)), format!("{spaced}{block}"));
    assert_eq!(populated("", std::slice::from_ref(&corp)), block);
    // Removed whole, the block leaves the blank line above it (no user byte is taken).
    let once = populated(session, &[corp]);
    assert_eq!(populated(&once, &[]), spaced);
}

#[test]
fn broken_or_unsafe_managed_blocks_are_refused() {
    let unterminated = ConfigDocument::parse("# BEGIN awsctx managed: x\n[profile a]\n");
    assert!(matches!(
        unterminated.managed_block("x"),
        Err(EditError::ManagedBlockUnterminated { line: 1, .. })
    ));
    let twice = ConfigDocument::parse(
        "# BEGIN awsctx managed: x\n# END awsctx managed: x\n# BEGIN awsctx managed: x\n# END awsctx managed: x\n",
    );
    assert!(matches!(
        twice.managed_block("x"),
        Err(EditError::ManagedBlockDuplicated { line: 3, .. })
    ));
    let stray_end = ConfigDocument::parse("# END awsctx managed: x\n");
    assert!(matches!(
        stray_end.managed_block("x"),
        Err(EditError::ManagedBlockEndWithoutBegin { .. })
    ));
    let mut doc = ConfigDocument::parse("[profile a]\n");
    let bad_name = generated("p]\n[profile evil", &[]);
    assert!(matches!(
        doc.set_managed_block("x", &[bad_name]),
        Err(EditError::InvalidSectionName { .. })
    ));
    let bad_value = generated("p", &[("region", "x\ncredential_process = sh")]);
    assert!(matches!(
        doc.set_managed_block("x", &[bad_value]),
        Err(EditError::ValueHasLineBreak { .. })
    ));
    let err = doc.set_managed_block("x", &[generated("p", &[]), generated("p", &[])]).unwrap_err();
    assert_eq!(err.to_string(), "profile `p` is given twice for managed block `x`");
    assert!(matches!(doc.set_managed_block("x\ny", &[]), Err(EditError::InvalidBlockId { .. })));
    assert_eq!(doc.text(), "[profile a]\n");
}

const OWNED: [(&str, &str); 3] =
    [("sso_session", "corp"), ("sso_account_id", "111"), ("sso_role_name", "Admin")];

#[test]
fn user_lines_in_a_generated_profile_stay_in_place_byte_for_byte() {
    let first = populated("", &[generated("a", &OWNED), generated("b", &OWNED)]);
    let edited = first.replace(
        "[profile b]\nsso_session = corp\n",
        "[profile b]\n# mine: do not touch\nsso_session = corp\nregion=ap-south-1   ; odd\n\n  \n",
    );
    // The same run again: not a byte changes.
    let again = populated(&edited, &[generated("a", &OWNED), generated("b", &OWNED)]);
    assert_eq!(again, edited);
    // An owned key with a new value is rewritten in its own line; the rest stays.
    let mut owned = OWNED;
    owned[2].1 = "ReadOnly";
    let changed = populated(&edited, &[generated("a", &owned), generated("b", &owned)]);
    assert_eq!(changed, edited.replace("sso_role_name = Admin", "sso_role_name = ReadOnly"));
}

#[test]
fn a_key_missing_from_a_generated_profile_goes_after_its_last_property() {
    let text = "# BEGIN awsctx managed: sso-session corp\n[profile a]\nsso_session = corp\noutput = json\n# note\n\n[profile b]\nsso_session = corp\n# END awsctx managed: sso-session corp\n";
    let out = populated(
        text,
        &[generated("a", &[("region", "eu-west-1")]), generated("b", &[("sso_session", "corp")])],
    );
    assert_eq!(
        out,
        text.replace("output = json\n", "output = json\nregion = eu-west-1\n"),
        "after `output`, before the comment"
    );
}

/// What `aws configure set output text --profile b` does when `b` is the last generated
/// profile: its writer takes the `END` marker for a property and appends after it.
const APPENDED_AFTER_END: &str = "[sso-session corp]\nsso_region = us-east-1\n# BEGIN awsctx managed: sso-session corp\n[profile a]\nsso_session = corp\n\n[profile b]\nsso_session = corp\n# END awsctx managed: sso-session corp\noutput = text\n\n# my own\n[profile mine]\nregion = x\n";

#[test]
fn a_key_appended_after_the_end_marker_moves_into_the_last_profile() {
    assert_eq!(properties(APPENDED_AFTER_END, "b"), ["sso_session=corp", "output=text"]);
    assert_eq!(
        ConfigDocument::parse(APPENDED_AFTER_END).managed_block(BLOCK).unwrap().unwrap(),
        "[profile a]\nsso_session = corp\n\n[profile b]\nsso_session = corp\noutput = text\n",
        "read as part of `b`"
    );
    let both =
        [generated("a", &[("sso_session", "corp")]), generated("b", &[("sso_session", "corp")])];
    let out = populated(APPENDED_AFTER_END, &both);
    assert_eq!(
        out,
        "[sso-session corp]\nsso_region = us-east-1\n# BEGIN awsctx managed: sso-session corp\n[profile a]\nsso_session = corp\n\n[profile b]\nsso_session = corp\noutput = text\n# END awsctx managed: sso-session corp\n\n# my own\n[profile mine]\nregion = x\n"
    );
    assert_eq!(populated(&out, &both), out, "then it stays");

    // A new profile sorted after `b`: `output` stays with `b`, not with the new last one.
    let c = generated("c", &[("sso_session", "corp")]);
    let grown = populated(APPENDED_AFTER_END, &[both[0].clone(), both[1].clone(), c.clone()]);
    assert_eq!(properties(&grown, "b"), ["sso_session=corp", "output=text"]);
    assert_eq!(properties(&grown, "c"), ["sso_session=corp"]);

    // `b` pruned: its key goes with it, never to `a`.
    let pruned = populated(APPENDED_AFTER_END, &[both[0].clone()]);
    assert_eq!(
        pruned,
        "[sso-session corp]\nsso_region = us-east-1\n# BEGIN awsctx managed: sso-session corp\n[profile a]\nsso_session = corp\n# END awsctx managed: sso-session corp\n\n# my own\n[profile mine]\nregion = x\n"
    );
    // Every profile pruned: the key goes with `b`, never to the section above.
    let none = populated(APPENDED_AFTER_END, &[]);
    assert_eq!(
        none,
        "[sso-session corp]\nsso_region = us-east-1\n\n# my own\n[profile mine]\nregion = x\n"
    );
}

#[test]
fn keys_after_the_end_marker_are_collected_across_comments_and_another_block() {
    let text = "# BEGIN awsctx managed: sso-session corp\n[profile a]\nsso_session = corp\n# END awsctx managed: sso-session corp\n# BEGIN awsctx managed: sso-session lab\ns3 =\n    addressing_style = path\n[profile lab-a]\nsso_session = lab\n# END awsctx managed: sso-session lab\ncli_pager =";
    assert_eq!(properties(text, "a"), ["sso_session=corp", "s3="], "by INI rules `s3` is `a`'s");
    let out = populated(text, &[generated("a", &[("sso_session", "corp")])]);
    assert_eq!(
        out,
        "# BEGIN awsctx managed: sso-session corp\n[profile a]\nsso_session = corp\ns3 =\n    addressing_style = path\n# END awsctx managed: sso-session corp\n# BEGIN awsctx managed: sso-session lab\n[profile lab-a]\nsso_session = lab\n# END awsctx managed: sso-session lab\ncli_pager ="
    );
    let lab = Config::from_sources(&out, "").unwrap();
    assert_eq!(lab.profile("lab-a").unwrap().get("cli_pager"), Some(""), "lab's own stray stays");
}

#[test]
fn lines_after_the_begin_marker_stay_with_the_section_above_the_block() {
    // `aws configure set output json --profile mine` when `mine` is right above the block.
    let text = "[profile mine]\nregion = x\n# BEGIN awsctx managed: sso-session corp\noutput = json\n[profile a]\nsso_session = corp\n# END awsctx managed: sso-session corp\n";
    assert_eq!(properties(text, "mine"), ["region=x", "output=json"]);
    let out = populated(
        text,
        &[
            generated("0-first", &[("sso_session", "corp")]),
            generated("a", &[("sso_session", "corp")]),
        ],
    );
    assert_eq!(properties(&out, "mine"), ["region=x", "output=json"]);
    assert_eq!(properties(&out, "0-first"), ["sso_session=corp"]);
    let none = populated(text, &[]);
    assert_eq!(
        none, "[profile mine]\nregion = x\noutput = json\n",
        "the markers go, the key stays"
    );

    // A block without a section: keys after its end belong to the section above, and stay
    // there when the block gets profiles.
    let empty = "[profile mine]\n# BEGIN awsctx managed: sso-session corp\n# END awsctx managed: sso-session corp\noutput = json\n";
    let out = populated(empty, &[generated("a", &[("sso_session", "corp")])]);
    assert_eq!(properties(&out, "mine"), ["output=json"]);
    assert_eq!(properties(&out, "a"), ["sso_session=corp"]);
    assert_eq!(populated(empty, &[]), "[profile mine]\noutput = json\n");
}

#[test]
fn a_renamed_profile_keeps_its_lines_and_other_sections_in_the_block_stay() {
    let text = "# BEGIN awsctx managed: sso-session corp\n[profile dev-Admin]\nsso_session = corp\n# mine\noutput = text\n\n[sso-session x]\nsso_region = eu-west-1\n# END awsctx managed: sso-session corp\n";
    let renamed = ManagedProfile {
        name: "dev-Admin-111".into(),
        from: Some("dev-Admin".into()),
        keys: vec![("sso_session".into(), "corp".into())],
    };
    let newcomer =
        ManagedProfile { from: None, ..generated("dev-Admin", &[("sso_session", "corp")]) };
    let out = populated(text, &[renamed, newcomer]);
    assert_eq!(
        out,
        "# BEGIN awsctx managed: sso-session corp\n[profile dev-Admin-111]\nsso_session = corp\n# mine\noutput = text\n\n[profile dev-Admin]\nsso_session = corp\n\n[sso-session x]\nsso_region = eu-west-1\n# END awsctx managed: sso-session corp\n"
    );
    // A fresh profile does not take over the lines of a section of the same name.
    let fresh = ManagedProfile {
        name: "dev-Admin".into(),
        from: None,
        keys: vec![("sso_session".into(), "corp".into())],
    };
    let out = populated(text, &[fresh]);
    assert_eq!(properties(&out, "dev-Admin"), ["sso_session=corp"]);
}

// ---- property test: user edits between populate runs ---------------------------------

/// `aws configure set KEY VALUE --profile NAME`, by the algorithm of the AWS CLI's
/// `ConfigFileWriter.update_config` (awscli/customizations/configure/writer.py, the same in
/// v1 and v2): the file is read with universal newlines and written with `\n`; the section is
/// the first line equal to `[profile NAME]` that is not a comment; every later line holding a
/// `:` or `=` (comments and markers included) counts as a property until the next `[` line;
/// a key found is rewritten, otherwise the new line goes after the last such "property" (one
/// line further at the end of the file); a missing section is appended.
fn configure_set(text: &str, profile: &str, key: &str, value: &str) -> String {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let new = format!("{key} = {value}\n");
    let header = format!("[profile {profile}]");
    let mut lines: Vec<String> = text.split_inclusive('\n').map(str::to_owned).collect();
    let is_section = |l: &str| {
        let t = l.trim_start();
        t.starts_with('[') && t[1..].find(']').is_some_and(|i| i > 0)
    };
    let start = lines
        .iter()
        .position(|l| !l.trim().starts_with(['#', ';']) && is_section(l) && l.starts_with(&header));
    let Some(start) = start else {
        let mut out = text;
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str(&header);
        out.push('\n');
        out.push_str(&new);
        return out;
    };
    let option_key = |l: &str| -> Option<String> {
        let s = l.find(|c| c != ':' && c != '=')?;
        let e = s + l[s..].find([':', '='])?;
        Some(l[s..e].trim().to_owned())
    };
    let mut last = start;
    for j in start + 1..lines.len() {
        if is_section(&lines[j]) {
            lines.insert(last + 1, new);
            return lines.concat();
        }
        if let Some(k) = option_key(&lines[j]) {
            last = j;
            if k == key {
                lines[j] = new;
                return lines.concat();
            }
        }
    }
    if !lines.last().is_some_and(|l| l.ends_with('\n')) {
        lines.push("\n".into());
    }
    let at = (last + 2).min(lines.len());
    lines.insert(at, new);
    lines.concat()
}

#[test]
fn the_writer_model_puts_keys_where_the_aws_cli_does() {
    // The quirks the property test relies on: after the `END` marker for the last generated
    // profile, after `BEGIN` for the section above the block.
    let text = "[profile mine]\nregion = x\n# BEGIN awsctx managed: sso-session corp\n[profile a]\nk = v\n# END awsctx managed: sso-session corp\n";
    assert_eq!(configure_set(text, "a", "output", "text"), format!("{text}output = text\n"));
    assert_eq!(
        configure_set(text, "mine", "output", "text"),
        text.replace("corp\n[profile a]", "corp\noutput = text\n[profile a]")
    );
    assert_eq!(configure_set(text, "a", "k", "w"), text.replace("k = v", "k = w"));
    assert_eq!(configure_set("[p]\r\nx=1", "n", "k", "v"), "[p]\nx=1\n[profile n]\nk = v\n");
}

const NAMES: [&str; 5] = ["gen-a", "gen-b", "gen-c", "gen-d", "gen-e"];
const USER_KEYS: [&str; 4] = ["output", "region", "cli_pager", "x-y"];
const USER_VALUES: [&str; 3] = ["text", "ap-south-1", ""];
const REGIONS: [Option<&str>; 3] = [None, Some("eu-west-1"), Some("us-east-2")];
/// Profiles the user edits that populate does not generate.
const OTHERS: [&str; 3] = ["prod", "dev", "new-one"];

#[derive(Debug, Clone)]
enum Run {
    /// Populate with the access of the profiles in the mask, a region, and `--prune`.
    Populate { access: u8, region: usize, prune: bool },
    /// `aws configure set` on a generated profile (by index among those in the block).
    SetGenerated { profile: usize, key: usize, value: usize },
    /// `aws configure set` on a profile of the user's.
    SetOther { profile: usize, key: usize, value: usize },
    /// A comment typed after a generated profile's header.
    Comment { profile: usize, colon: bool },
    /// A line typed right after the `END` marker.
    AfterEnd { key: usize, value: usize },
}

fn run() -> impl Strategy<Value = Run> {
    prop_oneof![
        3 => (0..32_u8, 0..REGIONS.len(), any::<bool>())
            .prop_map(|(access, region, prune)| Run::Populate { access, region, prune }),
        3 => (0..NAMES.len(), 0..USER_KEYS.len(), 0..USER_VALUES.len())
            .prop_map(|(profile, key, value)| Run::SetGenerated { profile, key, value }),
        1 => (0..OTHERS.len(), 0..USER_KEYS.len(), 0..USER_VALUES.len())
            .prop_map(|(profile, key, value)| Run::SetOther { profile, key, value }),
        1 => (0..NAMES.len(), any::<bool>()).prop_map(|(profile, colon)| Run::Comment { profile, colon }),
        1 => (0..USER_KEYS.len(), 0..USER_VALUES.len())
            .prop_map(|(key, value)| Run::AfterEnd { key, value }),
    ]
}

/// What populate writes in a profile it has access for.
fn owned_keys(name: &str, region: Option<&str>) -> Vec<(String, String)> {
    let index = NAMES.iter().position(|n| *n == name).unwrap();
    let mut keys = vec![
        ("sso_session".to_owned(), "test".to_owned()),
        ("sso_account_id".to_owned(), format!("10000000000{index}")),
        ("sso_role_name".to_owned(), "Admin".to_owned()),
    ];
    keys.extend(region.map(|r| ("region".to_owned(), r.to_owned())));
    keys
}

/// The run's profiles, as populate's plan gives them: sorted, those with access written,
/// those without kept unless pruning.
fn plan(
    block: &BTreeSet<String>,
    access: u8,
    region: Option<&str>,
    prune: bool,
) -> Vec<ManagedProfile> {
    let mut out = BTreeMap::new();
    for (i, name) in NAMES.iter().enumerate() {
        let from = block.contains(*name).then(|| (*name).to_owned());
        if access & (1 << i) != 0 {
            out.insert(
                *name,
                ManagedProfile { name: (*name).to_owned(), from, keys: owned_keys(name, region) },
            );
        } else if from.is_some() && !prune {
            out.insert(*name, ManagedProfile { name: (*name).to_owned(), from, keys: Vec::new() });
        }
    }
    out.into_values().collect()
}

const TEST_BLOCK: &str = "sso-session test";

fn key(name: &str) -> SectionName {
    SectionName::Profile(name.to_owned())
}

/// One populate run, checked: outside the block nothing changes; a profile that stays keeps
/// every key it had but the ones populate writes; a new one has exactly those; a removed one
/// is gone; hand comments stay in their profile; the same run again changes nothing.
fn check_populate(
    text: &mut String,
    block: &mut BTreeSet<String>,
    comments: &mut Vec<(String, String)>,
    profiles: &[ManagedProfile],
) -> Result<(), TestCaseError> {
    let before = model_of(text);
    let mut doc = ConfigDocument::parse(text);
    doc.set_managed_block(TEST_BLOCK, profiles).unwrap();
    let after_text = doc.text();
    let after = model_of(&after_text);
    let context = || format!("--- before\n{text}\n--- after\n{after_text}");

    let new_block: BTreeSet<String> = profiles.iter().map(|p| p.name.clone()).collect();
    let mut expected = Model::new();
    for (section, properties) in &before {
        let generated = matches!(section, SectionName::Profile(n) if block.contains(n));
        if !generated {
            expected.insert(section.clone(), properties.clone());
        }
    }
    for profile in profiles {
        let mut properties = before.get(&key(&profile.name)).cloned().unwrap_or_default();
        if profile.from.is_none() {
            properties.clear();
        }
        for (k, v) in &profile.keys {
            properties.insert(k.clone(), simple(v));
        }
        expected.insert(key(&profile.name), properties);
    }
    for (section, properties) in &expected {
        prop_assert_eq!(after.get(section), Some(properties), "{}\n{}", section, context());
    }
    prop_assert_eq!(after.len(), expected.len(), "no section appears\n{}", context());

    // A hand comment stays in its profile, or goes with it.
    comments.retain(|(profile, _)| new_block.contains(profile));
    for (profile, comment) in comments.iter() {
        let lines: Vec<&str> = after_text.lines().collect();
        let at: Vec<usize> = (0..lines.len()).filter(|&i| lines[i] == comment).collect();
        prop_assert_eq!(at.len(), 1, "{:?} once\n{}", comment, context());
        let header = (0..at[0]).rev().find(|&i| lines[i].starts_with('['));
        let expected = format!("[profile {profile}]");
        prop_assert_eq!(
            header.map(|i| lines[i]),
            Some(expected.as_str()),
            "{:?} in its profile\n{}",
            comment,
            context()
        );
    }

    let mut again = ConfigDocument::parse(&after_text);
    let again_profiles: Vec<ManagedProfile> = profiles
        .iter()
        .map(|p| ManagedProfile { from: Some(p.name.clone()), ..p.clone() })
        .collect();
    again.set_managed_block(TEST_BLOCK, &again_profiles).unwrap();
    prop_assert_eq!(again.text(), after_text.clone(), "the same run again changes nothing");

    *text = after_text;
    *block = new_block;
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn user_edits_between_populate_runs_are_never_lost_or_moved(
        file in 0..CORPUS.len(),
        runs in prop::collection::vec(run(), 1..16),
    ) {
        let mut text = CORPUS[file].to_owned();
        let mut block: BTreeSet<String> = BTreeSet::new();
        let mut comments: Vec<(String, String)> = Vec::new();
        for (step, run) in runs.iter().enumerate() {
            match *run {
                Run::Populate { access, region, prune } => {
                    let profiles = plan(&block, access, REGIONS[region], prune);
                    check_populate(&mut text, &mut block, &mut comments, &profiles)?;
                }
                Run::SetGenerated { profile, key, value } => {
                    if let Some(name) = block.iter().nth(profile % block.len().max(1)) {
                        text = configure_set(&text, name, USER_KEYS[key], USER_VALUES[value]);
                    }
                }
                Run::SetOther { profile, key, value } => {
                    text = configure_set(&text, OTHERS[profile], USER_KEYS[key], USER_VALUES[value]);
                }
                Run::Comment { profile, colon } => {
                    if let Some(name) = block.iter().nth(profile % block.len().max(1)) {
                        let comment = if colon { format!("# note {step}: mine") } else { format!("# note {step}") };
                        let header = format!("[profile {name}]");
                        let at = text.find(&header).unwrap() + header.len();
                        let at = at + text[at..].find('\n').map_or(text.len() - at, |i| i + 1);
                        if at == text.len() && !text.ends_with('\n') {
                            text.push('\n');
                        }
                        text.insert_str(at.min(text.len()), &format!("{comment}\n"));
                        comments.push((name.clone(), comment));
                    }
                }
                Run::AfterEnd { key, value } => {
                    let end = format!("# END awsctx managed: {TEST_BLOCK}");
                    if !block.is_empty() && let Some(at) = text.find(&end) {
                        let at = at + text[at..].find('\n').unwrap() + 1;
                        let line = format!("{} = {}\n", USER_KEYS[key], USER_VALUES[value]);
                        text.insert_str(at, &line);
                    }
                }
            }
        }
    }
}

//! A check that the rendered bash hook uses nothing newer than bash 3.2, macOS's `/bin/bash`.
//!
//! shellcheck does not know which bash a script targets, so this lists the constructs that
//! bash 3.2 rejects or reads differently and fails on any of them outside comments. A line
//! that needs one on purpose, behind a version check, ends with `# bash4-ok: why`.

/// A construct bash 3.2 lacks, and how to recognise it on a line.
struct Construct {
    what: &'static str,
    found: fn(&str) -> bool,
}

const CONSTRUCTS: &[Construct] = &[
    Construct { what: "associative array (bash 4.0)", found: |l| has_flag(l, 'A') },
    Construct { what: "`declare -g` (bash 4.2)", found: |l| has_flag(l, 'g') },
    Construct { what: "nameref `-n` (bash 4.3)", found: |l| has_flag(l, 'n') },
    Construct {
        what: "case-changing `-l`/`-u` attribute (bash 4.0)",
        found: |l| has_flag(l, 'l') || has_flag(l, 'u'),
    },
    Construct { what: "case modification `${v,,}`/`${v^^}` (bash 4.0)", found: case_modification },
    Construct { what: "`${v@Q}`-style transformation (bash 4.4)", found: transformation },
    Construct {
        what: "`mapfile`/`readarray` (bash 4.0)",
        found: |l| has_word(l, "mapfile") || has_word(l, "readarray"),
    },
    Construct {
        what: "`printf '%(…)T'` (bash 4.2)",
        found: |l| has_word(l, "printf") && l.contains("%("),
    },
    Construct { what: "`coproc` (bash 4.0)", found: |l| has_word(l, "coproc") },
    Construct { what: "`|&` (bash 4.0)", found: |l| l.contains("|&") },
    Construct { what: "`&>>` (bash 4.0)", found: |l| l.contains("&>>") },
    Construct {
        what: "case fall-through `;&`/`;;&` (bash 4.0)",
        found: |l| l.contains(";;&") || l.trim_end().ends_with(";&"),
    },
    Construct { what: "`[[ -v … ]]` (bash 4.2)", found: |l| l.contains("[[ -v ") },
    Construct { what: "`wait -n` (bash 4.3)", found: |l| l.contains("wait -n") },
    Construct { what: "negative array index (bash 4.3)", found: |l| l.contains("[-1]}") },
    Construct { what: "`{fd}>` redirection (bash 4.1)", found: named_fd },
    Construct { what: "`$BASHPID` (bash 4.0)", found: |l| l.contains("BASHPID") },
    Construct {
        what: "`EPOCHSECONDS`/`EPOCHREALTIME` without a fallback (bash 5.0)",
        found: epoch_without_fallback,
    },
    Construct { what: "a bash-4 `shopt` option", found: bash4_shopt },
];

/// Every use of a construct newer than bash 3.2, as `line N: what: text`.
pub(crate) fn check(script: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (index, line) in script.lines().enumerate() {
        let code = line.trim_start();
        if code.starts_with('#') || line.contains("# bash4-ok:") {
            continue;
        }
        for construct in CONSTRUCTS {
            if (construct.found)(code) {
                found.push(format!("line {}: {}: {}", index + 1, construct.what, code.trim_end()));
            }
        }
    }
    found
}

fn has_word(line: &str, word: &str) -> bool {
    line.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-')).any(|w| w == word)
}

/// `declare -A x`, `local -gA x`, `typeset -n x`: a declaration with `flag` among its options.
fn has_flag(line: &str, flag: char) -> bool {
    let mut words = line.split_whitespace().peekable();
    while let Some(word) = words.next() {
        let word = word.trim_start_matches(['(', '{', ';']);
        if !matches!(word, "declare" | "typeset" | "local" | "readonly" | "export") {
            continue;
        }
        while let Some(option) = words.peek() {
            let Some(letters) = option.strip_prefix(['-', '+']) else { break };
            if letters.chars().all(|c| c.is_ascii_alphabetic()) && letters.contains(flag) {
                // `export -n` (un-export) is bash 2; only declarations take `-n` as nameref.
                return !(flag == 'n' && word == "export");
            }
            words.next();
        }
    }
    false
}

/// `${name,,}`, `${name^}`, `${name[@]^^}`.
fn case_modification(line: &str) -> bool {
    expansions(line).any(|inner| {
        let name_end = inner
            .find(|c: char| {
                !(c.is_alphanumeric() || c == '_' || c == '[' || c == ']' || c == '@' || c == '*')
            })
            .unwrap_or(inner.len());
        matches!(inner[name_end..].chars().next(), Some(',' | '^'))
    })
}

/// `${name@Q}` and the other `@` operators.
fn transformation(line: &str) -> bool {
    expansions(line).any(|inner| {
        let name_end =
            inner.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(inner.len());
        name_end > 0
            && inner[name_end..].starts_with('@')
            && inner[name_end + 1..].chars().next().is_some_and(|c| c.is_ascii_alphabetic())
    })
}

/// The text inside each `${…}` (not nested).
fn expansions(line: &str) -> impl Iterator<Item = &str> {
    line.split("${").skip(1).filter_map(|rest| rest.split('}').next())
}

/// `exec {fd}>file`, `{var}<&0`.
fn named_fd(line: &str) -> bool {
    line.match_indices('{').any(|(at, _)| {
        let before = line[..at].chars().next_back();
        let rest = &line[at + 1..];
        let Some(close) = rest.find('}') else { return false };
        let name = &rest[..close];
        before.is_none_or(char::is_whitespace)
            && !name.is_empty()
            && name.chars().all(|c| c.is_alphanumeric() || c == '_')
            && rest[close + 1..].starts_with(['<', '>'])
    })
}

/// `$EPOCHSECONDS` used bare: on bash < 5 it is empty, so it must come as `${EPOCHSECONDS-…}`.
fn epoch_without_fallback(line: &str) -> bool {
    ["EPOCHSECONDS", "EPOCHREALTIME"].iter().any(|name| {
        line.match_indices(name).any(|(at, _)| {
            let before = &line[..at];
            let after = &line[at + name.len()..];
            before.ends_with('$') || (before.ends_with("${") && after.starts_with('}'))
        })
    })
}

fn bash4_shopt(line: &str) -> bool {
    has_word(line, "shopt")
        && [
            "globstar",
            "lastpipe",
            "autocd",
            "checkjobs",
            "dirspell",
            "direxpand",
            "globasciiranges",
        ]
        .iter()
        .any(|option| has_word(line, option))
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn finds_each_bash4_construct() {
        for line in [
            "declare -A seen",
            "local -gA map=()",
            "declare -g x=1",
            "local -n ref=x",
            "echo \"${name,,}\"",
            "echo \"${name^}\"",
            "echo \"${name@Q}\"",
            "mapfile -t lines < f",
            "printf -v now '%(%s)T' -1",
            "coproc cat",
            "cmd |& tee",
            "cmd &>> log",
            "a) echo ;;&",
            "[[ -v x ]]",
            "wait -n",
            "echo \"${arr[-1]}\"",
            "exec {fd}>file",
            "echo $BASHPID",
            "now=$EPOCHSECONDS",
            "shopt -s globstar",
        ] {
            assert!(!check(line).is_empty(), "{line} passed");
        }
    }

    #[test]
    fn passes_what_bash32_has() {
        let script = r#"
# declare -A in a comment is fine
export -n _AWSCTX_STATE
local now=${EPOCHSECONDS-}
printf -v out '%s' "$x"
words[COMP_CWORD]="$2"
[[ ${x-} =~ ^[0-9]+$ ]] && ((now >= due))
for name in ${!_AWSCTX_@}; do :; done
echo "${x#*,}" "${y//\//,}" "${z:-a^b}"
PROMPT_COMMAND="_awsctx_hook${PROMPT_COMMAND:+;$PROMPT_COMMAND}"
declare -a list=(a b)
printf -v now '%(%s)T' -1 # bash4-ok: behind a version check
"#;
        assert_eq!(check(script), Vec::<String>::new());
    }
}

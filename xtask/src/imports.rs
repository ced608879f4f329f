//! `cargo xtask lint`'s import check: no cycle between the modules of a crate, so each can be
//! read (and changed) after the ones it uses. Every `crate::…` and `super::…` path of a module,
//! outside comments and its unit tests, is an edge to the deepest module it names. A module's
//! own ancestors and descendants do not count: a parent declares its children, and a child may
//! use what its parent holds.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, bail};

/// Module path (`""` for the crate root, `provider::chain`) → the modules it uses.
type Graph = BTreeMap<String, Vec<String>>;

/// Fail on the first import cycle in `crates/*/src`, naming it.
pub(crate) fn check(root: &Path) -> anyhow::Result<()> {
    let crates = root.join("crates");
    let mut names: Vec<_> = std::fs::read_dir(&crates)
        .with_context(|| format!("reading {}", crates.display()))?
        .flatten()
        .map(|entry| entry.path().join("src"))
        .filter(|src| src.is_dir())
        .collect();
    names.sort();
    let mut failures = Vec::new();
    for src in names {
        let mut sources = Vec::new();
        collect(&src, &src, &mut sources)?;
        for group in cycles(&graph(&sources)) {
            let name = src.strip_prefix(root).unwrap_or(&src);
            failures.push(format!("{}: {group}", name.display()));
        }
    }
    if !failures.is_empty() {
        bail!("modules that import each other:\n  {}", failures.join("\n  "));
    }
    Ok(())
}

/// For each group of modules that import each other (in circles): its members, then one of its
/// circles.
fn cycles(graph: &Graph) -> Vec<String> {
    let reach = |from: &str| {
        let mut seen = vec![from.to_owned()];
        let mut next = 0;
        while let Some(node) = seen.get(next).cloned() {
            for to in graph.get(&node).into_iter().flatten() {
                if !seen.contains(to) {
                    seen.push(to.clone());
                }
            }
            next += 1;
        }
        seen
    };
    let reached: BTreeMap<&String, Vec<String>> =
        graph.keys().map(|node| (node, reach(node))).collect();
    let mut grouped: Vec<String> = Vec::new();
    let mut found = Vec::new();
    for node in graph.keys() {
        if grouped.contains(node) {
            continue;
        }
        let group: Vec<String> = reached[node]
            .iter()
            .filter(|other| reached.get(other).is_some_and(|back| back.contains(node)))
            .cloned()
            .collect();
        if group.len() < 2 {
            continue;
        }
        let within: Graph = group
            .iter()
            .map(|m| {
                (m.clone(), graph[m].iter().filter(|to| group.contains(to)).cloned().collect())
            })
            .collect();
        let circle = find_cycle(&within).unwrap_or_default();
        found.push(format!("{} (one circle: {})", group.join(", "), circle.join(" → ")));
        grouped.extend(group);
    }
    found
}

/// Every `.rs` file under `dir` as (module path, text), unit-test files left out.
fn collect(src: &Path, dir: &Path, out: &mut Vec<(String, String)>) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(dir)?.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(src, &path, out)?;
            continue;
        }
        let Ok(relative) = path.strip_prefix(src) else { continue };
        let Some(relative) = relative.to_str().and_then(|r| r.strip_suffix(".rs")) else {
            continue;
        };
        if relative == "tests" || relative.ends_with("/tests") {
            continue;
        }
        let module = match relative {
            "main" | "lib" => String::new(),
            other => other.trim_end_matches("/mod").replace('/', "::"),
        };
        out.push((module, std::fs::read_to_string(&path)?));
    }
    Ok(())
}

fn graph(sources: &[(String, String)]) -> Graph {
    let known: Vec<&str> = sources.iter().map(|(module, _)| module.as_str()).collect();
    let mut graph = Graph::new();
    for (module, text) in sources {
        let mut used: Vec<String> = paths(&product_code(text))
            .into_iter()
            .filter_map(|(up, segments)| resolve(module, up, &segments, &known))
            .filter(|target| !related(module, target))
            .collect();
        used.sort();
        used.dedup();
        graph.insert(module.clone(), used);
    }
    graph
}

/// The text without comment lines and without an inline `#[cfg(test)] mod tests`.
fn product_code(text: &str) -> String {
    let mut out = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("#[cfg(test)]")
            && lines.peek().is_some_and(|next| next.trim_start().contains("mod tests {"))
        {
            break;
        }
        if !trimmed.starts_with("//") {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// Every `crate::…` / `super::…` path: how many levels up it starts (`None`: at the crate
/// root) and its segments. `use crate::{a, b::c}` gives one path per item.
fn paths(text: &str) -> Vec<(Option<usize>, Vec<String>)> {
    let mut found = Vec::new();
    let bytes = text.as_bytes();
    let mut at = 0;
    while at < text.len() {
        let rest = &text[at..];
        let start = if rest.starts_with("crate::") {
            Some(None)
        } else if rest.starts_with("super::") {
            Some(Some(1))
        } else {
            None
        };
        let boundary = at == 0 || !(bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_');
        let (Some(mut up), true) = (start, boundary) else {
            at += rest.chars().next().map_or(1, char::len_utf8);
            continue;
        };
        let mut tail = &rest[rest.find("::").unwrap_or(0) + 2..];
        if up.is_some() {
            while let Some(more) = tail.strip_prefix("super::") {
                up = up.map(|n| n + 1);
                tail = more;
            }
        }
        for segments in items(tail) {
            found.push((up, segments));
        }
        at = text.len() - tail.len();
    }
    found
}

/// The paths at the start of `text`: `a::b::C` is one, `{a, b::{c, d}}` one per item.
fn items(text: &str) -> Vec<Vec<String>> {
    let mut segments = Vec::new();
    let mut rest = text;
    loop {
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 1;
            let end = group
                .char_indices()
                .find(|&(_, c)| {
                    depth += match c {
                        '{' => 1,
                        '}' => -1,
                        _ => 0,
                    };
                    depth == 0
                })
                .map_or(group.len(), |(i, _)| i);
            return split_top_level(&group[..end])
                .into_iter()
                .flat_map(|item| {
                    items(item.trim()).into_iter().map(|mut inner| {
                        let mut path = segments.clone();
                        path.append(&mut inner);
                        path
                    })
                })
                .collect();
        }
        let ident: String =
            rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
        if ident.is_empty() {
            break;
        }
        rest = &rest[ident.len()..];
        segments.push(ident);
        match rest.strip_prefix("::") {
            Some(more) => rest = more,
            None => break,
        }
    }
    vec![segments]
}

fn split_top_level(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut from) = (0, 0);
    for (i, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&text[from..i]);
                from = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[from..]);
    parts
}

/// The deepest known module a path from `module` names.
fn resolve(module: &str, up: Option<usize>, segments: &[String], known: &[&str]) -> Option<String> {
    let mut base: Vec<&str> =
        if module.is_empty() { Vec::new() } else { module.split("::").collect() };
    match up {
        None => base.clear(),
        Some(levels) => base.truncate(base.len().checked_sub(levels)?),
    }
    let mut full: Vec<&str> = base;
    full.extend(segments.iter().map(String::as_str));
    (0..=full.len()).rev().map(|n| full[..n].join("::")).find(|m| known.contains(&m.as_str()))
}

/// Whether one module is the other, or an ancestor of it.
fn related(a: &str, b: &str) -> bool {
    let within = |inner: &str, outer: &str| {
        outer.is_empty() || inner == outer || inner.starts_with(&format!("{outer}::"))
    };
    within(a, b) || within(b, a)
}

/// A cycle of modules, first module repeated at the end; `None` when there is none.
fn find_cycle(graph: &Graph) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    fn visit(
        node: &str,
        graph: &Graph,
        marks: &mut BTreeMap<String, Mark>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match marks.get(node) {
            Some(Mark::Done) => return None,
            Some(Mark::Open) => {
                let from = stack.iter().position(|m| m == node).unwrap_or(0);
                let mut cycle = stack[from..].to_vec();
                cycle.push(node.to_owned());
                return Some(cycle);
            }
            None => {}
        }
        marks.insert(node.to_owned(), Mark::Open);
        stack.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, marks, stack) {
                return Some(cycle);
            }
        }
        stack.pop();
        marks.insert(node.to_owned(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    graph.keys().find_map(|node| visit(node, graph, &mut marks, &mut Vec::new()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sources(files: &[(&str, &str)]) -> Vec<(String, String)> {
        files.iter().map(|(m, t)| ((*m).to_owned(), (*t).to_owned())).collect()
    }

    #[test]
    fn a_cycle_through_grouped_and_inline_paths_is_found() {
        let graph = graph(&sources(&[
            ("", "mod context;\nmod ui;\nmod credentials;\n"),
            ("context", "fn f() { crate::ui::notice(); }\n"),
            ("ui", "use crate::{cli, credentials::fallback};\n"),
            ("credentials", "use crate::context::Context;\n"),
            ("cli", ""),
        ]));
        assert_eq!(
            find_cycle(&graph),
            Some(vec!["context".into(), "ui".into(), "credentials".into(), "context".into()])
        );
    }

    #[test]
    fn parents_children_comments_and_unit_tests_are_no_cycle() {
        let graph = graph(&sources(&[
            ("", "mod provider;\nmod error;\n"),
            ("provider", "use crate::provider::chain::Step;\n// crate::error::x\n"),
            ("provider::chain", "use super::{lock, Provider};\nuse crate::error::Error;\n"),
            ("error", "fn f() {}\n#[cfg(test)]\nmod tests {\n    use crate::provider::x;\n}\n"),
        ]));
        assert_eq!(find_cycle(&graph), None, "{graph:?}");
        assert_eq!(graph["provider::chain"], vec!["error".to_owned()]);
    }

    #[test]
    fn super_resolves_from_the_module_s_parent() {
        let known = ["", "cmd", "cmd::use_", "cmd::list"];
        let paths = paths("use super::list::render;\n");
        assert_eq!(
            resolve("cmd::use_", paths[0].0, &paths[0].1, &known).as_deref(),
            Some("cmd::list")
        );
    }
}

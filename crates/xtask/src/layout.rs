//! The codebase's shape, checked as tests: no source file outside the tests over
//! [`MAX_LINES`]; storage logic in plain functions, not macros; no cycle between the
//! collector's top-level modules, nor between the modules of its `domain/`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Longest source file, tests aside; a longer one is usually two modules.
pub const MAX_LINES: usize = 500;

/// Most of `collector/src/storage` (and the `db` layer under it) that macro bodies may be,
/// in per cent of the lines.
pub const MAX_MACRO_SHARE: usize = 15;

/// Every `.rs` and `.js` file under `dir`, recursively.
pub fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs" || e == "js") {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// Whether `path` holds tests only: a `tests.rs`, or anything in a `tests` folder.
fn is_test_file(path: &Path) -> bool {
    path.file_stem().is_some_and(|s| s == "tests")
        || path.components().any(|c| c.as_os_str() == "tests")
}

/// Source files over [`MAX_LINES`] lines, with their length, in the production code of
/// `root`'s crates.
pub fn long_files(root: &Path) -> Vec<(PathBuf, usize)> {
    let dirs = [
        "collector/src",
        "collector/dashboard",
        "crates/chatrail-core/src",
        "crates/xtask/src",
        "tracker-wasm/src",
        "tracker-wasm/js",
        "examples",
    ];
    dirs.iter()
        .flat_map(|d| sources(&root.join(d)))
        .filter(|p| !is_test_file(p.strip_prefix(root).unwrap_or(p)))
        .filter_map(|p| {
            let lines = std::fs::read_to_string(&p).ok()?.lines().count();
            (lines > MAX_LINES).then_some((p, lines))
        })
        .collect()
}

/// The bodies of the `macro_rules!` definitions in `source`, one string each.
pub fn macro_bodies(source: &str) -> Vec<String> {
    let mut bodies = Vec::new();
    let mut rest = source;
    while let Some(at) = rest.find("macro_rules!") {
        let after = &rest[at..];
        let Some(open) = after.find('{') else { break };
        let mut depth = 0usize;
        let mut end = after.len();
        for (i, c) in after[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = open + i + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        bodies.push(after[..end].to_owned());
        rest = &after[end..];
    }
    bodies
}

/// What a macro body may not contain: control flow that leaves or branches its caller. Only
/// what a rule expands to is read (after its `=>`), not the pattern it matches.
pub fn control_flow(body: &str) -> Vec<&'static str> {
    let body = body.split_once("=>").map_or("", |(_, expansion)| expansion);
    let words: Vec<&str> = body
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .collect();
    let mut found = Vec::new();
    for kw in ["return", "if", "match"] {
        if words.contains(&kw) {
            found.push(kw);
        }
    }
    if body.contains(")?") || body.contains("await?") || body.contains("]?") {
        found.push("?");
    }
    found
}

/// The modules a file refers to as `crate::<name>` (or `$crate::<name>`).
fn crate_refs(source: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (i, _) in source.match_indices("crate::") {
        let name: String = source[i + 7..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() {
            out.insert(name);
        }
    }
    // `use crate::{a, b::c}` groups.
    for (i, _) in source.match_indices("crate::{") {
        let group = &source[i + 8..];
        let group = &group[..group.find('}').unwrap_or(group.len())];
        for item in group.split(',') {
            let name: String = item
                .trim()
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.insert(name);
            }
        }
    }
    out
}

/// The top-level module a path under `src` belongs to: its first component, without `.rs`.
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let first = file.strip_prefix(src).ok()?.components().next()?;
    let name = first.as_os_str().to_str()?;
    Some(name.trim_end_matches(".rs").to_owned())
}

/// Edges `a → b` between the modules directly under `src` (files and folders), from
/// `crate::` paths (for `src` the crate root) or `super::` paths (for a folder below it,
/// `prefix` being its path from the crate root, e.g. `domain`).
pub fn module_graph(src: &Path, prefix: Option<&str>) -> BTreeMap<String, BTreeSet<String>> {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in sources(src) {
        let Some(from) = module_of(src, &file) else {
            continue;
        };
        if matches!(from.as_str(), "lib" | "main" | "mod") || is_test_file(&file) {
            continue;
        }
        let Ok(source) = std::fs::read_to_string(&file) else {
            continue;
        };
        let source = strip_tests(&source);
        let refs: BTreeSet<String> = match prefix {
            None => crate_refs(&source),
            Some(p) => {
                let mut refs = BTreeSet::new();
                let nested = format!("crate::{p}::");
                for (i, _) in source.match_indices(&nested) {
                    let name: String = source[i + nested.len()..]
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    refs.insert(name);
                }
                // A file directly under the folder reaches its siblings through `super::`.
                if file.parent() == Some(src) {
                    for (i, _) in source.match_indices("super::") {
                        let name: String = source[i + 7..]
                            .chars()
                            .take_while(|c| c.is_alphanumeric() || *c == '_')
                            .collect();
                        refs.insert(name);
                    }
                }
                refs
            }
        };
        let known = |m: &String| src.join(m).is_dir() || src.join(format!("{m}.rs")).is_file();
        let entry = graph.entry(from.clone()).or_default();
        entry.extend(refs.into_iter().filter(|m| *m != from && known(m)));
    }
    graph
}

/// The source without its `#[cfg(test)]` module (tests may reach anywhere).
fn strip_tests(source: &str) -> String {
    match source.find("#[cfg(test)]\nmod tests {") {
        Some(at) => source[..at].to_owned(),
        None => source.to_owned(),
    }
}

/// A cycle in `graph`, as the modules along it, if there is one.
pub fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(c) = visit(next, graph, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|n| visit(n, graph, &mut Vec::new(), &mut done))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root() -> PathBuf {
        crate::workspace_root()
    }

    #[test]
    fn no_source_file_outside_the_tests_is_over_the_limit() {
        let long = long_files(&root());
        assert!(long.is_empty(), "split these files: {long:?}");
    }

    #[test]
    fn storage_logic_is_plain_functions() {
        let mut lines = 0;
        let mut macro_lines = 0;
        for dir in ["collector/src/storage", "collector/src/db"] {
            for file in sources(&root().join(dir)) {
                let source = std::fs::read_to_string(&file).unwrap();
                lines += source.lines().count();
                for body in macro_bodies(&source) {
                    macro_lines += body.lines().count();
                    let found = control_flow(&body);
                    assert!(found.is_empty(), "{file:?}: a macro holds {found:?}: {body}");
                }
            }
        }
        assert!(lines > 1000, "storage read from the wrong place ({lines} lines)");
        let share = macro_lines * 100 / lines;
        assert!(share < MAX_MACRO_SHARE, "macro bodies are {share}% of storage");
    }

    #[test]
    fn the_collectors_modules_form_no_cycle() {
        let src = root().join("collector/src");
        let graph = module_graph(&src, None);
        assert!(graph.contains_key("storage") && graph["storage"].contains("db"));
        assert_eq!(find_cycle(&graph), None, "{graph:#?}");
        let domain = module_graph(&src.join("domain"), Some("domain"));
        assert_eq!(find_cycle(&domain), None, "{domain:#?}");
    }

    #[test]
    fn the_checks_catch_what_they_look_for() {
        let src = "macro_rules! a { ($x:expr) => { if $x { return; } f()? } }\nfn g() {}";
        let bodies = macro_bodies(src);
        assert_eq!(bodies.len(), 1);
        assert_eq!(control_flow(&bodies[0]), ["return", "if", "?"]);
        assert!(control_flow("macro_rules! b { () => { vec![1] } }").is_empty());
        let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        graph.entry("a".into()).or_default().insert("b".into());
        assert_eq!(find_cycle(&graph), None);
        graph.entry("b".into()).or_default().insert("a".into());
        assert_eq!(find_cycle(&graph), Some(vec!["a".into(), "b".into(), "a".into()]));
        assert_eq!(
            crate_refs("use crate::{db::Db, args};\nlet x = crate::domain::now_ms();"),
            ["args", "db", "domain"].map(String::from).into()
        );
    }
}

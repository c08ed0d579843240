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

/// The module paths a file names: `crate::a::b::…` (also in `use crate::{…}` groups) and,
/// resolved against `here` (the file's own module path), `super::…`. Paths as written, not
/// yet cut down to the modules that exist.
fn named_paths(source: &str, here: &[String]) -> Vec<Vec<String>> {
    let ident = |s: &str| -> Vec<String> {
        let mut parts = Vec::new();
        let mut rest = s;
        loop {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if name.is_empty() {
                break;
            }
            rest = &rest[name.len()..];
            parts.push(name);
            match rest.strip_prefix("::") {
                Some(r) => rest = r,
                None => break,
            }
        }
        parts
    };
    let mut out = Vec::new();
    for (i, _) in source.match_indices("crate::") {
        let before = source[..i].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        let rest = &source[i + 7..];
        let base = ident(rest);
        let after = &rest[base.iter().map(|p| p.len() + 2).sum::<usize>()..];
        if let Some(group) = after.strip_prefix('{').or(rest.strip_prefix('{')) {
            let group = &group[..group.find('}').unwrap_or(group.len())];
            for item in group.split(',') {
                let mut path = base.clone();
                path.extend(ident(item.trim()));
                out.push(path);
            }
        } else {
            out.push(base);
        }
    }
    for (i, _) in source.match_indices("super::") {
        if source[..i].ends_with("::") {
            continue;
        }
        let mut rest = &source[i..];
        // A file's `super` is its folder's module; each further `super::` goes one up.
        let mut base: Vec<String> = here[..here.len().saturating_sub(1)].to_vec();
        rest = &rest[7..];
        while let Some(r) = rest.strip_prefix("super::") {
            base.pop();
            rest = r;
        }
        base.extend(ident(rest));
        out.push(base);
    }
    out
}

/// The module path of a file under `src`: `storage/inbound/mod.rs` is `storage::inbound`.
fn module_path(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap_or(file).with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .filter_map(|c| c.as_os_str().to_str().map(str::to_owned))
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts
}

/// The longest prefix of `path` that is a module under `src` (a file or a folder).
fn existing_module(src: &Path, path: &[String]) -> Vec<String> {
    let mut found = Vec::new();
    for i in 1..=path.len() {
        let rel: PathBuf = path[..i].iter().collect();
        if src.join(&rel).is_dir() || src.join(&rel).with_extension("rs").is_file() {
            found = path[..i].to_vec();
        } else {
            break;
        }
    }
    found
}

/// For every folder of the crate at `src` (keyed by its module path, `""` for the root),
/// the uses between its direct children: a child uses another when anything in the first
/// names anything in the second. A module naming its own ancestor or descendant is
/// containment, not a use between siblings.
pub fn sibling_graphs(src: &Path) -> BTreeMap<String, BTreeMap<String, BTreeSet<String>>> {
    let mut graphs: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for file in sources(src) {
        let here = module_path(src, &file);
        if is_test_file(&file) || matches!(here.as_slice(), [m] if m == "lib" || m == "main") {
            continue;
        }
        let Ok(source) = std::fs::read_to_string(&file) else {
            continue;
        };
        let code: String = strip_tests(&source)
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        for named in named_paths(&code, &here) {
            let target = existing_module(src, &named);
            let shared = here.iter().zip(&target).take_while(|(a, b)| a == b).count();
            if target.is_empty() || shared == target.len() || shared == here.len() {
                continue;
            }
            graphs
                .entry(here[..shared].join("::"))
                .or_default()
                .entry(here[shared].clone())
                .or_default()
                .insert(target[shared].clone());
        }
    }
    graphs
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
                    assert!(
                        found.is_empty(),
                        "{file:?}: a macro holds {found:?}: {body}"
                    );
                }
            }
        }
        assert!(
            lines > 1000,
            "storage read from the wrong place ({lines} lines)"
        );
        let share = macro_lines * 100 / lines;
        assert!(
            share < MAX_MACRO_SHARE,
            "macro bodies are {share}% of storage"
        );
    }

    #[test]
    fn the_collectors_modules_form_no_cycle() {
        let graphs = sibling_graphs(&root().join("collector/src"));
        assert!(graphs[""]["storage"].contains("db"), "{graphs:#?}");
        let cycles: Vec<(String, Vec<String>)> = graphs
            .iter()
            .filter_map(|(folder, g)| Some((folder.clone(), find_cycle(g)?)))
            .collect();
        assert!(
            cycles.is_empty(),
            "module cycles (folder, cycle): {cycles:?}"
        );
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
        assert_eq!(
            find_cycle(&graph),
            Some(vec!["a".into(), "b".into(), "a".into()])
        );
        let here = ["storage", "inbound", "identity"].map(String::from);
        let named = named_paths(
            "use crate::{db::Db, args};\nlet x = crate::domain::now_ms();\nuse super::contacts;",
            &here,
        );
        let named: Vec<String> = named.iter().map(|p| p.join("::")).collect();
        assert_eq!(
            named,
            [
                "db::Db",
                "args",
                "domain::now_ms",
                "storage::inbound::contacts"
            ]
        );
    }
}

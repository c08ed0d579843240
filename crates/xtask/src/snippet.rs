//! Builds the page snippet: `tracker-wasm` → wasm32 → wasm-bindgen (no-modules)
//! → wasm-opt → `t.wasm`; the loader's files in `js/` ([`LOADER_FILES`]),
//! which call the wasm themselves, → one script → terser, with the constants
//! of the generated `js/contract.js` → `t.js`; into `tracker-wasm/dist` and
//! reports the sizes.
//!
//! Std only: xtask has no dependencies so that it builds in seconds.

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::run;

mod abi;

use abi::check_abi;
#[cfg(test)]
use abi::wasm_imports_exports;

const TARGET: &str = "wasm32-unknown-unknown";
const PACKAGE: &str = "chatrail-tracker";
/// The JS minifier, pinned: its output is part of what the size budget checks.
const TERSER_VERSION: &str = "5.51.2";
/// The constants the loader shares with Rust, generated from them (see the
/// file's header); read by [`Contract::parse`].
const CONTRACT: &str = "contract.js";
/// The loader's other files in `tracker-wasm/js`, joined in this order into
/// one scope (see its README): the start last, since it runs what the others
/// define.
const LOADER_FILES: [&str; 7] = [
    "base.js",
    "storage.js",
    "beacons.js",
    "session.js",
    "tagging.js",
    "hooks.js",
    "main.js",
];
/// Debian's binaryen 108 does not enable by default what rustc 1.96 emits;
/// the strip flags drop the sections only the toolchain reads. Flattening
/// and re-looping the control flow before -Oz saves 120 B gzipped (no
/// measurable change in the time to tag 1,000 links).
const WASM_OPT_FLAGS: [&str; 14] = [
    "--flatten",
    "--rereloop",
    "-Oz",
    "-Oz",
    "--converge",
    "--strip-debug",
    "--strip-producers",
    "--strip-target-features",
    "--enable-bulk-memory",
    "--enable-reference-types",
    "--enable-nontrapping-float-to-int",
    "--enable-sign-ext",
    "--enable-mutable-globals",
    "--enable-multivalue",
];

/// Bytes of the built snippet, as shipped and as gzip -9 sends them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SnippetSizes {
    pub wasm: u64,
    pub wasm_gz: u64,
    pub js: u64,
    pub js_gz: u64,
}

impl SnippetSizes {
    /// What a first page view downloads, compressed.
    pub fn total_gz(&self) -> u64 {
        self.wasm_gz + self.js_gz
    }
}

impl fmt::Display for SnippetSizes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "t.wasm {:>7} B  {:>6} B gz", self.wasm, self.wasm_gz)?;
        writeln!(f, "t.js   {:>7} B  {:>6} B gz", self.js, self.js_gz)?;
        write!(f, "total            {:>6} B gz", self.total_gz())
    }
}

/// Builds the snippet into `<root>/tracker-wasm/dist` and prints its sizes.
pub fn build(root: &Path) -> Result<SnippetSizes, String> {
    let target_dir = root.join("target").join("wasm");
    let raw = cargo_build(root, &target_dir)?;

    let version = locked_version(&root.join("Cargo.lock"), "wasm-bindgen")?;
    ensure_wasm_bindgen(&version)?;
    let bindgen_dir = target_dir.join("bindgen");
    run(Command::new("wasm-bindgen")
        .args(["--target", "no-modules", "--no-typescript", "--out-dir"])
        .arg(&bindgen_dir)
        .arg(&raw))?;

    let dist = root.join("tracker-wasm").join("dist");
    fs::create_dir_all(&dist).map_err(|e| format!("creating {}: {e}", dist.display()))?;
    let wasm = dist.join("t.wasm");
    run(Command::new("wasm-opt")
        .args(WASM_OPT_FLAGS)
        .arg(bindgen_dir.join("chatrail_tracker_bg.wasm"))
        .arg("-o")
        .arg(&wasm))?;

    // The loader calls the wasm itself (wasm-bindgen's glue is most of a kilobyte gzipped
    // for one function), so the wasm must need nothing the glue would have provided.
    check_abi(&fs::read(&wasm).map_err(|e| format!("reading {}: {e}", wasm.display()))?)?;
    let js_dir = root.join("tracker-wasm").join("js");
    check_listed(&js_dir)?;
    let contract = Contract::parse(&read(&js_dir.join(CONTRACT))?)?;
    let mut loader = contract.vars.clone();
    for name in LOADER_FILES {
        loader.push('\n');
        loader.push_str(&read(&js_dir.join(name))?);
    }
    let loader = script(&loader);
    contract.check_names(&loader)?;
    let joined = bindgen_dir.join("t.js");
    fs::write(&joined, loader).map_err(|e| format!("writing {}: {e}", joined.display()))?;
    let js = dist.join("t.js");
    minify(root, &joined, &js, &contract.defines)?;

    let sizes = SnippetSizes {
        wasm: file_len(&wasm)?,
        wasm_gz: gzipped_len(&wasm)?,
        js: file_len(&js)?,
        js_gz: gzipped_len(&js)?,
    };
    println!("{sizes}");
    Ok(sizes)
}

/// Fails when `js/` has a script the build would leave out.
fn check_listed(js_dir: &Path) -> Result<(), String> {
    let entries = fs::read_dir(js_dir).map_err(|e| format!("reading {}: {e}", js_dir.display()))?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".js") && name != CONTRACT && !LOADER_FILES.contains(&name.as_str()) {
            return Err(format!(
                "tracker-wasm/js/{name} is not in LOADER_FILES (crates/xtask/src/snippet.rs)"
            ));
        }
    }
    Ok(())
}

/// The generated `js/contract.js`, one constant a line (`  NAME = value,`).
///
/// Its strings and numbers go to terser as definitions, so that each use is
/// the literal, as if written there: that is what lets `{[FIELD_URL]: u}`
/// become `{url: u}` (terser keeps a variable in a computed key), and keeps
/// the snippet its size. Its regexes stay variables: a regex literal makes
/// a new object each time it is evaluated, and `CHAT` is tested per link.
#[derive(Debug)]
struct Contract {
    /// `NAME=value` of each string and number, for terser's `--define`.
    defines: Vec<String>,
    /// A `var` statement of the regexes.
    vars: String,
    names: Vec<String>,
}

impl Contract {
    fn parse(text: &str) -> Result<Contract, String> {
        let mut contract = Contract {
            defines: Vec::new(),
            vars: String::new(),
            names: Vec::new(),
        };
        let mut vars = Vec::new();
        for line in text.lines().map(str::trim) {
            if line.is_empty() || line.starts_with("//") || line == "var" {
                continue;
            }
            let (name, value) = line
                .strip_suffix([',', ';'])
                .and_then(|l| l.split_once(" = "))
                .ok_or_else(|| format!("js/{CONTRACT}: not `NAME = value,`: {line}"))?;
            if value.starts_with('/') {
                vars.push(format!("{name} = {value}"));
            } else {
                contract.defines.push(format!("{name}={value}"));
            }
            contract.names.push(name.to_owned());
        }
        if !vars.is_empty() {
            contract.vars = format!("var {};\n", vars.join(",\n"));
        }
        Ok(contract)
    }

    /// Fails on a name written like the contract's (capitals with an
    /// underscore) that it does not have: terser would leave it a global,
    /// and the page would throw where it is used.
    fn check_names(&self, script: &str) -> Result<(), String> {
        let unknown = script
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '$'))
            .filter(|word| {
                word.starts_with(|c: char| c.is_ascii_uppercase())
                    && word.contains('_')
                    && word
                        .chars()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
            })
            .find(|word| !self.names.iter().any(|n| n == word));
        match unknown {
            Some(word) => Err(format!("the loader uses {word}, which js/{CONTRACT} lacks")),
            None => Ok(()),
        }
    }
}

/// One classic script. The function scope keeps the loader's names out of the
/// page's globals. Whole-line comments and indentation are dropped before
/// terser minifies it; this is line-based, which is safe because the loader
/// has no multi-line string or template, and no block comment ends a file
/// without its `*/`.
fn script(loader: &str) -> String {
    let mut out = String::from("(function(){\n");
    let mut in_block = false;
    for line in loader.lines().map(str::trim) {
        let opens = line.starts_with("/*") && (line.ends_with("*/") || !line.contains("*/"));
        if in_block || opens {
            in_block = !line.ends_with("*/");
        } else if !line.is_empty() && !line.starts_with("//") {
            out.push_str(line);
            out.push('\n');
        }
    }
    out.push_str("})();\n");
    out
}

/// Minifies the script with terser (pinned, installed under `target/js-tools`
/// with npm on first use): mangled local names and compressed code are
/// about half the gzipped glue.
fn minify(root: &Path, input: &Path, output: &Path, defines: &[String]) -> Result<(), String> {
    let terser = crate::setup::ensure_npm_package(root, "terser", TERSER_VERSION)?;
    run(Command::new("node")
        .arg(terser.join("bin").join("terser"))
        .arg(input)
        .args([
            "--ecma",
            "2017",
            "--compress",
            // `unsafe`: the loader's functions are never constructors, so
            // they may become arrow functions (terser keeps those using
            // `this` or `arguments`).
            "passes=3,unsafe=true,unsafe_arrows=true",
            "--mangle",
            // Parsed as JS: `A=1,B="x"`.
            "--define",
        ])
        .arg(defines.join(","))
        .arg("--output")
        .arg(output))
}

/// `cargo build` of the snippet for wasm32; returns the raw `.wasm`.
///
/// A rustup toolchain with the wasm32 target is the normal path. Without it
/// (this project's machines cannot download targets), Debian's rustc-web
/// builds std for wasm32 from rust-web-src (see shared/TOOLCHAIN.md).
fn cargo_build(root: &Path, target_dir: &Path) -> Result<PathBuf, String> {
    let common = [
        "build",
        "--package",
        PACKAGE,
        "--target",
        TARGET,
        "--profile",
        "snippet",
    ];
    // No reference types: with them wasm-bindgen keeps JS values in a
    // second (externref) table, and Debian's binaryen 108 rewrites that
    // table's export to point at the function table, which then fails to
    // instantiate. Without them the output is also slightly smaller.
    // opt-level "z" inlines almost nothing, so every iterator adapter and
    // small helper stays a call: a higher inlining threshold made the wasm
    // both smaller (-430 B gzipped, the helpers folded into their few
    // callers) and faster (1,000 links rewritten in about 1.7 ms instead of
    // 2.4 ms in node); 75 was the best of 25 to 225.
    let mut rustflags = vec![
        "-Ctarget-feature=-reference-types",
        "-Cllvm-args=-inline-threshold=75",
    ];
    let mut cmd;
    if rustup_has_wasm_target() {
        cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
        cmd.args(common);
    } else {
        cmd = Command::new("/usr/bin/cargo");
        // The rustup proxies come first on PATH and `cargo xtask` runs under
        // rustup's cargo: pin Debian's compiler and drop rustup's choices.
        for var in [
            "RUSTUP_TOOLCHAIN",
            "CARGO",
            "RUSTC_WRAPPER",
            "RUSTC_WORKSPACE_WRAPPER",
        ] {
            cmd.env_remove(var);
        }
        cmd.env("RUSTC", "/usr/bin/rustc")
            .env("RUSTDOC", "/usr/bin/rustdoc")
            .env("RUSTC_BOOTSTRAP", "1")
            .env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER", "wasm-ld")
            .args(common)
            .args([
                "-Zbuild-std=std,panic_abort",
                "-Zbuild-std-features=optimize_for_size",
            ]);
        // No panic machinery at all (no message formatting): a quarter of
        // the wasm. Possible only where std is built with the crate.
        rustflags.extend(["-Zunstable-options", "-Cpanic=immediate-abort"]);
    }
    let quoted: Vec<String> = rustflags.iter().map(|f| format!("{f:?}")).collect();
    cmd.arg("--config")
        .arg(format!("target.{TARGET}.rustflags=[{}]", quoted.join(",")));
    // wasm-bindgen reads which wasm features are on from the section that
    // `strip` removes; wasm-opt strips everything afterwards.
    cmd.env("CARGO_PROFILE_SNIPPET_STRIP", "false");
    cmd.current_dir(root).arg("--target-dir").arg(target_dir);
    run(&mut cmd)?;
    let wasm = target_dir
        .join(TARGET)
        .join("snippet")
        .join(format!("{}.wasm", PACKAGE.replace('-', "_")));
    match wasm.is_file() {
        true => Ok(wasm),
        false => Err(format!("cargo built no {}", wasm.display())),
    }
}

fn rustup_has_wasm_target() -> bool {
    Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .is_ok_and(|o| {
            o.status.success()
                && String::from_utf8_lossy(&o.stdout)
                    .lines()
                    .any(|l| l.trim() == TARGET)
        })
}

/// The version of `package` in a Cargo.lock, read as text.
fn locked_version(lock: &Path, package: &str) -> Result<String, String> {
    let text = read(lock)?;
    lock_version(&text, package).ok_or_else(|| format!("{package} is not in {}", lock.display()))
}

fn lock_version(lock: &str, package: &str) -> Option<String> {
    let name = format!("name = \"{package}\"");
    let mut lines = lock.lines().map(str::trim).skip_while(|l| *l != name);
    lines.next()?;
    let version = lines
        .next()?
        .strip_prefix("version = \"")?
        .strip_suffix('"')?;
    Some(version.to_string())
}

/// The CLI must match the crate exactly: its glue and the crate's
/// generated imports are one protocol.
fn ensure_wasm_bindgen(version: &str) -> Result<(), String> {
    let installed = Command::new("wasm-bindgen")
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned());
    // "wasm-bindgen 0.2.130"
    if installed
        .as_deref()
        .and_then(|s| s.split_whitespace().nth(1))
        == Some(version)
    {
        return Ok(());
    }
    eprintln!("xtask: installing wasm-bindgen-cli {version} (a few minutes)");
    // No --locked: the pinned lock once named a version missing from the registry.
    run(Command::new("cargo").args(["install", "wasm-bindgen-cli", "--version", version]))
}

fn read(path: &Path) -> Result<String, String> {
    fs::read_to_string(path).map_err(|e| format!("reading {}: {e}", path.display()))
}

fn file_len(path: &Path) -> Result<u64, String> {
    fs::metadata(path)
        .map(|m| m.len())
        .map_err(|e| format!("{}: {e}", path.display()))
}

fn gzipped_len(path: &Path) -> Result<u64, String> {
    let out = Command::new("gzip")
        .args(["-9", "-c"])
        .arg(path)
        .output()
        .map_err(|e| format!("cannot run gzip: {e}"))?;
    match out.status.success() {
        true => Ok(out.stdout.len() as u64),
        false => Err(format!("gzip {} failed: {}", path.display(), out.status)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_locked_version() {
        let lock = "[[package]]\nname = \"wasm-bindgen\"\nversion = \"0.2.130\"\n\
                    [[package]]\nname = \"wasm-bindgen-macro\"\nversion = \"0.2.99\"\n";
        assert_eq!(
            lock_version(lock, "wasm-bindgen").as_deref(),
            Some("0.2.130")
        );
        assert_eq!(
            lock_version(lock, "wasm-bindgen-macro").as_deref(),
            Some("0.2.99")
        );
        assert_eq!(lock_version(lock, "js-sys"), None);
    }

    #[test]
    fn script_wraps_and_drops_comments() {
        let s =
            script("let x;\n  // note\n/**\n * doc\n */\n/* one */\n/* keep */ x();\n  go();\n");
        assert_eq!(s, "(function(){\nlet x;\n/* keep */ x();\ngo();\n})();\n");
    }

    #[test]
    fn contract_strings_and_numbers_are_definitions_and_regexes_variables() {
        let text = "// generated\nvar\n  // ops\n  OP_VIEW = 0,\n  SEP = \"\\x1f\",\n  \
                    CHAT = /wa\\.me|t\\.me/i,\n  ID = /^[0-9a-f]{32}$/i;\n";
        let contract = Contract::parse(text).unwrap();
        assert_eq!(contract.defines, ["OP_VIEW=0", r#"SEP="\x1f""#]);
        assert_eq!(
            contract.vars,
            "var CHAT = /wa\\.me|t\\.me/i,\nID = /^[0-9a-f]{32}$/i;\n"
        );
        assert!(contract.check_names("ask(OP_VIEW, [ID, W, URL])").is_ok());
        let err = contract.check_names("ask(OP_VEIW, [])").unwrap_err();
        assert!(err.contains("OP_VEIW"), "{err}");
        assert!(Contract::parse("var\n  OP_VIEW: 0,\n").is_err());
    }

    #[test]
    fn reads_imports_and_exports_of_a_module() {
        // (module (import "m" "f" (func)) (memory 1) (export "memory" (memory 0)))
        let wasm = b"\0asm\x01\0\0\0\x01\x04\x01\x60\0\0\x02\x07\x01\x01m\x01f\0\0\
                     \x05\x03\x01\0\x01\x07\x0a\x01\x06memory\x02\0";
        let (imports, exports) = wasm_imports_exports(wasm).unwrap();
        assert_eq!(imports, ["m.f"]);
        assert_eq!(exports, ["memory"]);
        assert!(check_abi(wasm).unwrap_err().contains("imports"));
        assert!(wasm_imports_exports(b"nope").is_none());
    }
}

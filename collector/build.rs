//! Embeds the built snippet (`tracker-wasm/dist`, made by `cargo xtask snippet`) so the one
//! binary serves its own tracker. Without a build, empty files are embedded and `/t.js`
//! answers 503 with instructions. Lists the dashboard's message catalogues
//! (`dashboard/i18n/*.json`), so a language is added by adding its file.

use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let dist = manifest.join("../tracker-wasm/dist");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it"));
    // `sqlx::migrate!` embeds the migrations: a new file must rebuild the crate.
    println!("cargo:rerun-if-changed=../migrations");
    for name in ["t.js", "t.wasm"] {
        let src = dist.join(name);
        println!("cargo:rerun-if-changed={}", src.display());
        let bytes = std::fs::read(&src).unwrap_or_default();
        std::fs::write(out.join(name), bytes).expect("OUT_DIR is writable");
    }
    languages(&manifest.join("dashboard/i18n"), &out);
}

/// `languages.rs`: `&[(code, catalogue)]`, every `<code>.json` in `dir`, sorted by code.
fn languages(dir: &std::path::Path, out: &std::path::Path) {
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| entries.filter_map(|e| Some(e.ok()?.path())).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "json"));
    files.sort();
    let mut code = String::from("&[\n");
    for path in files {
        let lang = path
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("a UTF-8 name");
        code.push_str(&format!(
            "    ({lang:?}, include_str!({:?})),\n",
            path.display().to_string()
        ));
    }
    code.push(']');
    std::fs::write(out.join("languages.rs"), code).expect("OUT_DIR is writable");
}

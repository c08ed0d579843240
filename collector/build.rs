//! Embeds the built snippet (`tracker-wasm/dist`, made by `cargo xtask snippet`) so the one
//! binary serves its own tracker. Without a build, empty files are embedded and `/t.js`
//! answers 503 with instructions.

use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let dist = manifest.join("../tracker-wasm/dist");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it"));
    // sqlx::migrate! embeds the migrations at compile time.
    println!("cargo:rerun-if-changed=../migrations");
    for name in ["t.js", "t.wasm"] {
        let src = dist.join(name);
        println!("cargo:rerun-if-changed={}", src.display());
        let bytes = std::fs::read(&src).unwrap_or_default();
        std::fs::write(out.join(name), bytes).expect("OUT_DIR is writable");
    }
}

//! `cargo xtask dist`: the release `chatrail` binary, snippet and dashboard inside, and its
//! SHA-256 checksum, in `dist/` (gitignored).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{cargo, run, setup, snippet};

/// Builds the snippet, then the release binary that embeds it, and writes `dist/chatrail`
/// and `dist/chatrail.sha256` (`sha256sum -c chatrail.sha256` checks it).
pub fn build(root: &Path) -> Result<(), String> {
    setup::ensure_packages()?;
    snippet::build(root)?;
    run(cargo(root).args([
        "build",
        "--release",
        "--locked",
        "-p",
        "chatrail-collector",
        "--bin",
        "chatrail",
    ]))?;
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|t| if t.is_absolute() { t } else { root.join(t) })
        .unwrap_or_else(|| root.join("target"));
    let built = target.join("release").join("chatrail");
    let dist = root.join("dist");
    std::fs::create_dir_all(&dist).map_err(|e| format!("creating {}: {e}", dist.display()))?;
    let binary = dist.join("chatrail");
    std::fs::copy(&built, &binary).map_err(|e| format!("copying {}: {e}", built.display()))?;
    check_embedded(root, &binary)?;
    let sum = Command::new("sha256sum")
        .arg("chatrail")
        .current_dir(&dist)
        .output()
        .map_err(|e| format!("cannot run sha256sum: {e}"))?;
    if !sum.status.success() {
        return Err(format!("sha256sum failed with {}", sum.status));
    }
    std::fs::write(dist.join("chatrail.sha256"), &sum.stdout).map_err(|e| e.to_string())?;
    let bytes = std::fs::metadata(&binary).map_err(|e| e.to_string())?.len();
    println!(
        "dist/chatrail: {:.1} MB; {}",
        bytes as f64 / 1e6,
        String::from_utf8_lossy(&sum.stdout).trim()
    );
    Ok(())
}

/// Fails unless the binary holds the snippet just built (a stale or empty embed would serve
/// `/t.js` as 503).
fn check_embedded(root: &Path, binary: &Path) -> Result<(), String> {
    let js = std::fs::read(root.join("tracker-wasm/dist/t.js")).map_err(|e| e.to_string())?;
    let probe = &js[..js.len().min(256)];
    let bin = std::fs::read(binary).map_err(|e| e.to_string())?;
    if probe.is_empty() || !bin.windows(probe.len()).any(|w| w == probe) {
        return Err(format!(
            "{} does not embed tracker-wasm/dist/t.js",
            binary.display()
        ));
    }
    Ok(())
}

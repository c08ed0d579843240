//! Installs what chatrail needs on a Debian machine, idempotently: only missing packages are
//! installed, so a second run costs a few `dpkg -s` calls.

use std::process::Command;

/// Debian packages: Debian's wasm-capable Rust toolchain (rustup cannot fetch the wasm32
/// target here), the linker and optimisers for the snippet (node runs terser), the browser
/// for the end-to-end tests, and the PostgreSQL server the tests start themselves.
const PACKAGES: &[&str] = &[
    "rustc-web",
    "cargo-web",
    "rust-web-src",
    "lld",
    "binaryen",
    "chromium",
    "chromium-driver",
    "postgresql",
    "gzip",
    "nodejs",
];

/// Installs missing Debian packages (with sudo when not root).
pub fn ensure_packages() -> Result<(), String> {
    let missing: Vec<&str> = PACKAGES.iter().copied().filter(|p| !installed(p)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    if !has_command("apt-get") {
        return Err(format!(
            "missing packages {missing:?} and no apt-get: install them by hand (see README)"
        ));
    }
    eprintln!("xtask: installing {}", missing.join(" "));
    let root = is_root();
    let apt = |args: &[&str]| -> Result<(), String> {
        let mut cmd = if root {
            Command::new("apt-get")
        } else {
            let mut c = Command::new("sudo");
            c.arg("apt-get");
            c
        };
        cmd.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        crate::run(&mut cmd)
    };
    apt(&["update", "-q"])?;
    let mut args = vec!["install", "-y", "-q", "--no-install-recommends"];
    args.extend(&missing);
    apt(&args)
}

fn installed(package: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f", "${Status}", package])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
        .unwrap_or(false)
}

fn has_command(name: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {name}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

//! Installs what chatrail needs on a Debian machine, idempotently: only missing packages are
//! installed, so a second run costs a few `dpkg -s` calls.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Debian packages: Debian's wasm-capable Rust toolchain (rustup cannot fetch the wasm32
/// target here), the linker and optimisers for the snippet (node runs terser), the browser
/// for the end-to-end tests, the PostgreSQL server the tests start themselves, and Python's
/// `venv` for the API fuzzer schemathesis (installed from PyPI by [`ensure_schemathesis`]),
/// and the C compiler and `make` that SQLite, ring and jemalloc are built with.
/// npm (for [`ensure_npm_package`]) is added when there is no `npm` command: Debian packs it
/// apart from `nodejs`, NodeSource's `nodejs` has it inside.
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
    "gcc",
    "make",
    "nodejs",
    "python3-venv",
    "systemd",
];

/// Installs missing Debian packages (with sudo when not root).
pub fn ensure_packages() -> Result<(), String> {
    let mut missing: Vec<&str> = PACKAGES.iter().copied().filter(|p| !installed(p)).collect();
    if !has_command("npm") {
        missing.push("npm");
    }
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

/// Where `cargo xtask test` installs schemathesis, under the workspace: the `api` suite runs
/// `<this>/bin/st` (or `$CHATRAIL_SCHEMATHESIS`).
pub const SCHEMATHESIS_VENV: &str = ".chatrail/schemathesis";

/// Every Python package of the schemathesis install, each at an exact version (`pip freeze`
/// of the install), so a new release of schemathesis or of one of its dependencies never
/// changes what CI checks. To move on: install the new version in a scratch venv, run the
/// `schemathesis` tests, and replace this file with its `pip freeze`.
const SCHEMATHESIS_REQUIREMENTS: &str = include_str!("../schemathesis-requirements.txt");

/// Installs schemathesis into a virtual environment under the workspace, idempotently: when
/// the environment holds exactly the pinned requirements (a copy is kept beside it) and its
/// `st` runs, nothing is done; otherwise it is made anew with `python3 -m venv` and pip.
pub fn ensure_schemathesis(root: &Path) -> Result<(), String> {
    let venv = root.join(SCHEMATHESIS_VENV);
    let stamp = venv.join("chatrail-requirements.txt");
    let st = venv.join("bin").join("st");
    let current = std::fs::read_to_string(&stamp).is_ok_and(|s| s == SCHEMATHESIS_REQUIREMENTS)
        && Command::new(&st)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
    if current {
        return Ok(());
    }
    eprintln!("xtask: installing schemathesis into {}", venv.display());
    if venv.exists() {
        std::fs::remove_dir_all(&venv).map_err(|e| format!("{}: {e}", venv.display()))?;
    }
    crate::run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
    let requirements = venv.join("requirements.txt");
    std::fs::write(&requirements, SCHEMATHESIS_REQUIREMENTS).map_err(|e| e.to_string())?;
    crate::run(
        Command::new(venv.join("bin").join("pip"))
            .args(["install", "--quiet", "--disable-pip-version-check", "-r"])
            .arg(&requirements),
    )?;
    std::fs::write(&stamp, SCHEMATHESIS_REQUIREMENTS).map_err(|e| e.to_string())
}

/// The accessibility checker the dashboard's browser test runs in each page, pinned.
pub const AXE_CORE_VERSION: &str = "4.14.1";

/// Where npm tools go, under the workspace: `<this>/node_modules/<package>`. The browser
/// tests read `<this>/node_modules/axe-core/axe.min.js`.
pub const JS_TOOLS: &str = "target/js-tools";

/// Installs axe-core for the dashboard's accessibility test (`cargo xtask setup`, `test`).
pub fn ensure_axe(root: &Path) -> Result<(), String> {
    ensure_npm_package(root, "axe-core", AXE_CORE_VERSION).map(drop)
}

/// Installs npm `package` at exactly `version` under [`JS_TOOLS`] unless it is there
/// already; its directory.
pub fn ensure_npm_package(root: &Path, package: &str, version: &str) -> Result<PathBuf, String> {
    let tools = root.join(JS_TOOLS);
    let dir = tools.join("node_modules").join(package);
    let installed = std::fs::read_to_string(dir.join("package.json"))
        .is_ok_and(|p| p.contains(&format!("\"version\": \"{version}\"")));
    if !installed {
        eprintln!("xtask: installing {package} {version} with npm");
        crate::run(
            Command::new("npm")
                .args([
                    "install",
                    "--no-audit",
                    "--no-fund",
                    "--save-exact",
                    "--prefix",
                ])
                .arg(&tools)
                .arg(format!("{package}@{version}")),
        )?;
    }
    Ok(dir)
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

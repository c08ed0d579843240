//! `deploy/chatrail.service` verifies with `systemd-analyze verify` (no warning: systemd
//! only warns about an unknown key or a bad value, and runs the unit anyway), and its
//! exposure stays low by `systemd-analyze security`.

use std::path::Path;
use std::process::Command;

/// The highest exposure `systemd-analyze security` may give the unit, in tenths (it prints
/// 1.2 "OK" for the unit as written; 2.0 leaves room for systemd's scoring to move).
const MOST_EXPOSURE_TENTHS: &str = "20";

/// The unit as the repository has it, with `ExecStart` pointing at the `chatrail` binary the
/// tests built (verify refuses a unit whose program does not exist), written to `dir`.
fn unit_in(dir: &Path) -> std::path::PathBuf {
    let unit = include_str!("../../deploy/chatrail.service");
    assert!(unit.contains("ExecStart=/usr/local/bin/chatrail serve"));
    let bin = env!("CARGO_BIN_EXE_chatrail-for-tests");
    let path = dir.join("chatrail.service");
    std::fs::write(&path, unit.replace("/usr/local/bin/chatrail", bin)).unwrap();
    path
}

fn systemd_analyze(args: &[&str], unit: &Path) -> (bool, String) {
    let out = Command::new("systemd-analyze")
        .args(args)
        .arg(unit)
        .output()
        .expect("systemd-analyze (Debian package systemd; `cargo xtask setup` installs it)");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

#[test]
fn the_systemd_unit_verifies_without_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let unit = unit_in(dir.path());
    let (ok, text) = systemd_analyze(&["verify"], &unit);
    assert!(ok, "systemd-analyze verify failed:\n{text}");
    assert!(
        text.trim().is_empty(),
        "systemd-analyze verify warned:\n{text}"
    );
}

#[test]
fn the_systemd_unit_is_hardened() {
    let dir = tempfile::tempdir().unwrap();
    let unit = unit_in(dir.path());
    let threshold = format!("--threshold={MOST_EXPOSURE_TENTHS}");
    let (ok, text) = systemd_analyze(&["security", "--offline=true", &threshold], &unit);
    let overall = text
        .lines()
        .find(|l| l.contains("Overall exposure"))
        .unwrap_or("");
    assert!(
        ok,
        "exposure above {MOST_EXPOSURE_TENTHS} tenths: {overall}\n{text}"
    );
    // The settings the brief names, so a later edit cannot drop one and stay under the bar.
    let source = include_str!("../../deploy/chatrail.service");
    for line in [
        "DynamicUser=yes",
        "StateDirectory=chatrail",
        "ProtectSystem=strict",
        "NoNewPrivileges=yes",
        "PrivateTmp=yes",
        "CapabilityBoundingSet=\n",
        "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
        "SystemCallFilter=@system-service",
        "EnvironmentFile=-/etc/chatrail/chatrail.env",
    ] {
        assert!(source.contains(line), "the unit lacks {line:?}");
    }
}

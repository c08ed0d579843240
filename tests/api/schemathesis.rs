//! schemathesis, an independent API fuzzer, against the real server on both databases: it
//! reads `/api/v1/openapi.json`, generates requests for every operation (public routes and
//! webhooks included) from the description, valid and invalid, with an admin token, and runs
//! every check it has: no 5xx, only documented statuses and content types, answers valid
//! against their schemas, requests the description calls valid accepted and those it calls
//! invalid refused, 405 for undescribed methods, authentication enforced.
//!
//! `cargo xtask test` installs schemathesis (pinned, under `.chatrail/schemathesis`); set
//! `CHATRAIL_SCHEMATHESIS` to use another `st`. `CHATRAIL_SCHEMATHESIS_EXAMPLES` (default 60
//! per operation) and `CHATRAIL_SCHEMATHESIS_SEED` change the run; its settings are in
//! `schemathesis.toml` beside this file.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use chatrail_collector::domain::token::Role;
use chatrail_tests::app::{create_token, spawn_app, Backend};
use chatrail_tests::on_both_backends;

on_both_backends!(schemathesis_finds_no_failure);

/// The examples per operation and seed of a CI run: about a minute per database.
const EXAMPLES: u32 = 60;
const SEED: u64 = 22;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ is in the workspace")
        .to_path_buf()
}

/// The `st` to run: `$CHATRAIL_SCHEMATHESIS`, else the one `cargo xtask test` installs.
fn schemathesis() -> PathBuf {
    let st = std::env::var_os("CHATRAIL_SCHEMATHESIS")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join(".chatrail/schemathesis/bin/st"));
    let runs = Command::new(&st)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        runs,
        "schemathesis is not installed at {}: `cargo xtask test` (or `cargo xtask setup`) \
         installs it, or set CHATRAIL_SCHEMATHESIS to an `st` executable",
        st.display()
    );
    st
}

fn env_number<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn schemathesis_finds_no_failure(backend: Backend) {
    let st = schemathesis();
    let app = spawn_app(backend).await;
    let admin = create_token(&app.store, &app.site, Role::Admin).await;
    let examples: u32 = env_number("CHATRAIL_SCHEMATHESIS_EXAMPLES", EXAMPLES);
    let seed: u64 = env_number("CHATRAIL_SCHEMATHESIS_SEED", SEED);
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("api/schemathesis.toml");
    let reports = tempfile::tempdir().expect("temp dir");
    let mut cmd = Command::new(st);
    cmd.arg("--config-file")
        .arg(&config)
        .arg("run")
        .arg(format!("{}/api/v1/openapi.json", app.base))
        .args(["--url", &app.base])
        .args(["--header", &format!("Authorization: Bearer {admin}")])
        .args(["--checks", "all"])
        .args(["--max-examples", &examples.to_string()])
        .args(["--seed", &seed.to_string()])
        // One worker: two threads of it may call Python's `ast.parse` at once (hypothesis
        // describing a filter), which CPython 3.11 can fail with "AST constructor recursion
        // depth mismatch" (CPython issue 106905), a failure of the tool, not of the API.
        .args(["--workers", "1"])
        .arg("--report-dir")
        .arg(reports.path())
        // Its own files (hypothesis' example database) go to the temporary directory.
        .current_dir(reports.path())
        .env("NO_COLOR", "1");
    let started = Instant::now();
    let output = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .expect("schemathesis thread")
        .expect("schemathesis runs");
    let elapsed = started.elapsed();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let summary = stdout
        .find("=== SUMMARY ===")
        .and_then(|i| stdout[..i].rfind('\n'))
        .map_or(&stdout[..], |start| &stdout[start..]);
    println!(
        "schemathesis on {backend:?}: {} examples per operation, seed {seed}, {:.1} s{summary}",
        examples,
        elapsed.as_secs_f64()
    );
    assert!(
        output.status.success(),
        "schemathesis failed on {backend:?} ({}):\n{stdout}\n{stderr}",
        output.status
    );
    let generated = stdout
        .lines()
        .skip_while(|l| !l.starts_with("Test cases:"))
        .nth(1)
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap_or(0);
    assert!(
        generated >= 500,
        "schemathesis generated only {generated} test cases on {backend:?}:\n{stdout}"
    );
    // The run authenticated throughout: the admin token it used still opens the API.
    let me = app
        .http
        .get(format!("{}/api/v1/me", app.base))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("me");
    assert_eq!(me.status(), 200, "the run's admin token was revoked");
}

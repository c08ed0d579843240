//! `CHATRAIL_LOG_FORMAT=json` on the real binary: every line it writes is a JSON object, and
//! every request ends with a line carrying its request id (never the client's address).

use std::collections::HashSet;

use chatrail_tests::app::{fresh_database, Backend};
use chatrail_tests::process::Chatrail;
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_are_json_and_carry_request_ids() {
    let (database_url, _dir) = fresh_database(Backend::Sqlite).await;
    let log_dir = tempfile::tempdir().unwrap();
    let chatrail = Chatrail {
        bin: env!("CARGO_BIN_EXE_chatrail-for-tests").into(),
        database_url,
        workers: 1,
        log: log_dir.path().join("chatrail.log"),
    };
    chatrail.create_site().await.unwrap();
    let setup_lines = std::fs::read_to_string(&chatrail.log)
        .unwrap()
        .lines()
        .count();
    let server = chatrail
        .serve_with(&[("CHATRAIL_LOG_FORMAT", "json"), ("RUST_LOG", "info")])
        .await
        .unwrap();
    let http = reqwest::Client::new();
    // A stranger's text in a path: it must stay inside its JSON string.
    let paths = [
        "/health",
        "/sites/shop/config",
        "/no/such%0Aroute\u{1b}[31m",
        "/metrics",
    ];
    for path in paths {
        http.get(format!("{}{path}", server.base))
            .send()
            .await
            .unwrap();
    }
    drop(server);

    let log = std::fs::read_to_string(&chatrail.log).unwrap();
    let lines: Vec<&str> = log.lines().skip(setup_lines).collect();
    assert!(!lines.is_empty(), "no log lines");
    let mut ids = HashSet::new();
    let mut targets = Vec::new();
    for line in &lines {
        let v: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {line:?}\n{log}"));
        assert!(
            v["timestamp"].is_string() && v["level"].is_string(),
            "{line}"
        );
        let span = &v["span"];
        if span["name"] == "HTTP request" && v["fields"]["message"] == "close" {
            let id = span["request_id"].as_str().unwrap_or("");
            assert!(
                uuid::Uuid::parse_str(id).is_ok(),
                "request id {id:?} in {line}"
            );
            ids.insert(id.to_owned());
            targets.push(span["http.target"].as_str().unwrap_or("").to_owned());
            assert!(!line.contains("127.0.0.1"), "a client address in {line}");
        }
    }
    // Health checks while the server started add lines of their own; ours are the last.
    assert!(
        ids.len() >= paths.len(),
        "{} request lines:\n{log}",
        ids.len()
    );
    let ours = &targets[targets.len() - paths.len()..];
    assert_eq!(ours[0], "/health");
    assert_eq!(ours[3], "/metrics");
    assert!(ours[2].starts_with("/no/such"), "{ours:?}");
}

/// Signing in, out and through an invite on the real binary, logging at `debug`: neither
/// the password, nor the session cookie, nor the invite's token is ever written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_password_cookie_or_invite_is_logged() {
    let (database_url, _dir) = fresh_database(Backend::Sqlite).await;
    let log_dir = tempfile::tempdir().unwrap();
    let chatrail = Chatrail {
        bin: env!("CARGO_BIN_EXE_chatrail-for-tests").into(),
        database_url: database_url.clone(),
        workers: 1,
        log: log_dir.path().join("chatrail.log"),
    };
    chatrail.create_site().await.unwrap();
    let added = std::process::Command::new(&chatrail.bin)
        .args([
            "accounts",
            "add",
            "--email",
            "ann@example.com",
            "--site",
            "shop",
        ])
        .args(["--role", "admin", "--database-url", &database_url])
        .output()
        .unwrap();
    assert!(added.status.success(), "{added:?}");
    let added: Value = serde_json::from_slice(&added.stdout).unwrap();
    let invite = chatrail_tests::accounts::invite_token(&added);
    let server = chatrail
        .serve_with(&[("CHATRAIL_LOG_FORMAT", "json"), ("RUST_LOG", "debug")])
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let password = "logged-never-password-4242";
    let post = |path: &str, body: Value| {
        http.post(format!("{}{path}", server.base))
            .json(&body)
            .send()
    };
    let accepted = post(
        "/api/v1/invites/accept",
        serde_json::json!({"token": invite, "password": password}),
    );
    assert_eq!(accepted.await.unwrap().status(), 200);
    let wrong = serde_json::json!({"email": "ann@example.com", "password": format!("{password}x")});
    assert_eq!(post("/api/v1/session", wrong).await.unwrap().status(), 401);
    let right = serde_json::json!({"email": "ann@example.com", "password": password});
    let signed_in = post("/api/v1/session", right).await.unwrap();
    assert_eq!(signed_in.status(), 200);
    let cookie = chatrail_tests::accounts::session_cookie(&signed_in).unwrap();
    let me = http
        .get(format!("{}/api/v1/me", server.base))
        .header("cookie", format!("chatrail_session={cookie}"))
        .header("x-chatrail-site", "shop");
    assert_eq!(me.send().await.unwrap().status(), 200);
    drop(server);
    let log = std::fs::read_to_string(&chatrail.log).unwrap();
    assert!(log.contains("/api/v1/session"), "the requests are logged");
    for secret in [password, cookie.as_str(), invite.as_str()] {
        assert!(!log.contains(secret), "{secret} is in the log");
    }
}

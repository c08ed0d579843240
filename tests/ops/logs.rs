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

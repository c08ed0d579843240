//! Accounts outside the API: `chatrail accounts` on the real binary, and nothing secret
//! (a password, a session cookie, an invite link) stored in plain.

use chatrail_collector::domain::token::Role;
use chatrail_tests::accounts::{sign_in, signed_in, status, with_session, PASSWORD};
use chatrail_tests::app::{create_token, spawn_app, Backend};
use chatrail_tests::on_both_backends;
use reqwest::Method;
use serde_json::{json, Value};

on_both_backends!(
    nothing_secret_is_stored_in_plain,
    the_cli_adds_lists_resets_and_removes_accounts,
);

async fn nothing_secret_is_stored_in_plain(backend: Backend) {
    let app = spawn_app(backend).await;
    let secret_password = "zebra-quartz-password-8271";
    let admin = create_token(&app.store, &app.site, Role::Admin).await;
    let added: Value = app
        .http
        .post(format!("{}/api/v1/site/members", app.base))
        .bearer_auth(&admin)
        .json(&json!({"email": "ann@example.com", "role": "admin"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let invite = chatrail_tests::accounts::invite_token(&added);
    let accepted = app
        .http
        .post(format!("{}/api/v1/invites/accept", app.base))
        .json(&json!({"token": invite, "password": secret_password}))
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status(), 200);
    let cookie = signed_in(&app, "ann@example.com", secret_password).await;
    let stored: Vec<(String,)> = app
        .db
        .fetch_all("SELECT password_hash FROM accounts", Vec::new())
        .await
        .unwrap();
    assert!(stored[0].0.starts_with("$argon2id$"), "{}", stored[0].0);
    let sessions: Vec<(String,)> = app
        .db
        .fetch_all("SELECT session_hash FROM account_sessions", Vec::new())
        .await
        .unwrap();
    assert_eq!(sessions.len(), 1);
    assert_ne!(sessions[0].0, cookie);
    let Some(dir) = app.sqlite_dir() else {
        return;
    };
    // Every file of the database (the WAL included) as bytes.
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        bytes.extend(std::fs::read(entry.unwrap().path()).unwrap());
    }
    assert!(
        bytes.windows(11).any(|w| w == b"$argon2id$v"),
        "the scan reads the stored rows"
    );
    for secret in [secret_password, cookie.as_str(), invite.as_str()] {
        let found = bytes.windows(secret.len()).any(|w| w == secret.as_bytes());
        assert!(!found, "{secret} is stored in plain");
    }
}

/// `chatrail accounts` on the real binary, against the served database.
async fn the_cli_adds_lists_resets_and_removes_accounts(backend: Backend) {
    let app = spawn_app(backend).await;
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_chatrail-for-tests"))
            .arg("accounts")
            .args(args)
            .args(["--database-url", &app.database_url])
            .env("CHATRAIL_PUBLIC_URL", "https://c.example")
            .output()
            .unwrap();
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        (out.status.success(), text(&out.stdout), text(&out.stderr))
    };
    let (ok, out, err) = run(&[
        "add",
        "--email",
        "Root@Example.com",
        "--site",
        "shop",
        "--role",
        "admin",
    ]);
    assert!(ok, "{out}{err}");
    let added: Value = serde_json::from_str(&out).unwrap();
    let link = added["invite_link"].as_str().unwrap();
    assert!(
        link.starts_with("https://c.example/dashboard/#invite=cri_"),
        "{link}"
    );
    let accept = |link: &str| {
        let token = link.split("#invite=").nth(1).unwrap().to_owned();
        app.http
            .post(format!("{}/api/v1/invites/accept", app.base))
            .json(&json!({"token": token, "password": PASSWORD}))
    };
    assert_eq!(status(accept(link)).await, 200);
    let cookie = signed_in(&app, "root@example.com", PASSWORD).await;
    assert_eq!(
        status(with_session(
            &app,
            Method::GET,
            "/api/v1/site",
            &cookie,
            Some("shop")
        ))
        .await,
        200
    );
    assert!(
        !run(&[
            "add",
            "--email",
            "x@example.com",
            "--site",
            "nope",
            "--role",
            "admin"
        ])
        .0
    );
    assert!(!run(&["add", "--email", "not-an-email", "--site", "shop"]).0);

    let (ok, out, _) = run(&["list"]);
    assert!(ok);
    let listed: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(listed[0]["email"], "Root@Example.com");
    assert_eq!(listed[0]["active"], true);
    assert_eq!(listed[0]["sites"][0]["role"], "admin");

    let (ok, out, err) = run(&["reset-password", "--email", "root@example.com"]);
    assert!(ok, "{out}{err}");
    let reset: Value = serde_json::from_str(&out).unwrap();
    let cookie_after = with_session(&app, Method::GET, "/api/v1/session", &cookie, None);
    assert_eq!(status(cookie_after).await, 401, "a reset ends the sessions");
    assert_eq!(
        status(accept(reset["invite_link"].as_str().unwrap())).await,
        200
    );

    let (ok, out, err) = run(&["remove", "--email", "ROOT@example.com"]);
    assert!(ok, "{out}{err}");
    assert_eq!(
        sign_in(&app, "root@example.com", PASSWORD).await.status(),
        401
    );
    assert!(!run(&["remove", "--email", "root@example.com"]).0);
    let (_, out, _) = run(&["list"]);
    assert_eq!(serde_json::from_str::<Value>(&out).unwrap(), json!([]));
}

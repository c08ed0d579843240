//! Erasing a contact (`POST /api/v1/contacts/erase`): afterwards no byte of the database
//! (SQLite: the file and its write-ahead log; PostgreSQL: every table dumped as text)
//! holds the contact's phone, name, user id or message text, and the reports' totals are
//! what the remaining rows say: the dialog still counts, the erased visits and clicks not.

use chatrail_collector::domain::token::Role;
use chatrail_collector::reports::query::Fact;
use chatrail_collector::reports::rollups::DAY_MS;
use chatrail_tests::app::{create_token, spawn_app, Backend, TestApp, TRACKED_NUMBER};
use chatrail_tests::inbound::{Browsing, FIXTURE_T};
use chatrail_tests::on_both_backends;
use serde_json::{json, Value};

use super::reports::{channel_counts, Counts};

on_both_backends!(
    erasure_leaves_no_trace_and_counts_stay_consistent,
    the_cli_erases_and_sets_retention,
);

const PHONE: &str = "+1 (555) 019-8765";
const DIGITS: &str = "15550198765";
const NAME: &str = "Zelda Quillfeather";
const USER_ID: &str = "BSUID.ZQ.7731";
const TEXT: &str = "my secret sofa order qx7";
const LATER: &str = "second private note zz9";
const OTHER_DIGITS: &str = "4915112345678";

/// Every text the database holds, lower-cased: SQLite's file and log as bytes, PostgreSQL's
/// tables as text.
async fn database_text(app: &TestApp) -> String {
    match app.sqlite_dir() {
        Some(dir) => {
            // Copies of pages from before the erasure live in the log until a checkpoint.
            for _ in 0..50 {
                let done: Option<(i64, i64, i64)> = app
                    .db
                    .fetch_optional("PRAGMA wal_checkpoint(TRUNCATE)", Vec::new())
                    .await
                    .unwrap();
                if done.is_some_and(|d| d.0 == 0) {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            let mut bytes = Vec::new();
            for file in ["chatrail.db", "chatrail.db-wal"] {
                if let Ok(b) = std::fs::read(dir.join(file)) {
                    bytes.extend(b);
                }
            }
            String::from_utf8_lossy(&bytes).to_lowercase()
        }
        None => {
            let tables: Vec<(String,)> = app
                .db
                .fetch_all(
                    "SELECT table_name FROM information_schema.tables \
                     WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
                    Vec::new(),
                )
                .await
                .unwrap();
            assert!(tables.len() > 10, "{tables:?}");
            let mut text = String::new();
            for (table,) in tables {
                let rows: Vec<(String,)> = app
                    .db
                    .fetch_all(
                        &format!("SELECT CAST(t AS TEXT) FROM \"{table}\" t"),
                        Vec::new(),
                    )
                    .await
                    .unwrap();
                for (row,) in rows {
                    text.push_str(&row);
                    text.push('\n');
                }
            }
            text.to_lowercase()
        }
    }
}

fn traces(text: &str) -> Vec<&'static str> {
    [DIGITS, NAME, USER_ID, TEXT, LATER]
        .into_iter()
        .filter(|s| text.contains(&s.to_lowercase()))
        .collect()
}

async fn post_message(app: &TestApp, id: &str, phone: &str, text: &str, at_s: i64) {
    let at = chrono::DateTime::from_timestamp(at_s, 0)
        .unwrap()
        .to_rfc3339();
    let body = json!({"channel": "whatsapp", "message_id": id, "business_number": TRACKED_NUMBER,
        "sender_id": USER_ID, "sender_phone": phone, "sender_name": NAME, "text": text,
        "sent_at": at});
    let mut body = body;
    if phone != PHONE {
        body["sender_id"] = json!(format!("other-{id}"));
        body["sender_name"] = json!("Someone Else");
    }
    let resp = app.post_message(&body.to_string()).await;
    assert!(resp.status().is_success(), "{}", resp.text().await.unwrap());
}

async fn erasure_leaves_no_trace_and_counts_stay_consistent(backend: Backend) {
    let app = spawn_app(backend).await;
    let t = FIXTURE_T * 1000;
    // The contact browsed twice from one browser, clicked, and wrote with the code; someone
    // else did the same.
    let first = Browsing::random();
    let second = Browsing {
        visitor: first.visitor.clone(),
        ..Browsing::random()
    };
    app.visit(
        &first,
        "https://shop.test/?utm_source=fb&utm_campaign=sofa",
        t - 86_400_000,
    )
    .await;
    app.visit(
        &second,
        "https://shop.test/?utm_source=ig&utm_campaign=sofa",
        t - 600_000,
    )
    .await;
    app.click(&second, t - 540_000).await;
    let other = Browsing::random();
    app.visit(
        &other,
        "https://shop.test/?utm_source=ig&utm_campaign=sofa",
        t - 500_000,
    )
    .await;
    app.click(&other, t - 400_000).await;
    post_message(
        &app,
        "m1",
        PHONE,
        &format!("{} {TEXT}", second.code),
        FIXTURE_T,
    )
    .await;
    post_message(&app, "m2", PHONE, LATER, FIXTURE_T + 60).await;
    post_message(
        &app,
        "o1",
        &format!("+{OTHER_DIGITS}"),
        &format!("hello {}", other.code),
        FIXTURE_T + 5,
    )
    .await;
    // A message the business sent the contact, as its delivery status tells.
    let status = json!({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{
        "field": "messages", "value": {"messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "79001234567", "phone_number_id": "221133445566778"},
        "statuses": [{"id": "wamid.erasure-test", "status": "delivered",
            "timestamp": (FIXTURE_T + 30).to_string(), "recipient_id": DIGITS}]}}]}]});
    assert_eq!(app.post_whatsapp(&status.to_string()).await.status(), 200);

    let (from, to) = ((t / DAY_MS - 2) * DAY_MS, (t / DAY_MS + 2) * DAY_MS);
    let before = channel_counts(&app, from, to).await;
    let dialogs: Vec<Value> = app.dialogs().await;
    assert_eq!(dialogs.len(), 2, "{dialogs:?}");
    // The scan sees what is there: it can fail.
    let found = traces(&database_text(&app).await);
    assert_eq!(
        found.len(),
        5,
        "before the erasure the database holds all of it: {found:?}"
    );

    let admin = create_token(&app.store, &app.site, Role::Admin).await;
    let erase = |token: &str, body: Value| {
        app.http
            .post(format!("{}/api/v1/contacts/erase", app.base))
            .bearer_auth(token.to_owned())
            .json(&body)
            .send()
    };
    assert_eq!(
        erase(&app.token, json!({"phone": PHONE}))
            .await
            .unwrap()
            .status(),
        403
    );
    let bad = erase(&admin, json!({"phone": "12"})).await.unwrap();
    assert_eq!(bad.status(), 400);
    assert!(bad.text().await.unwrap().contains("phone"));
    let resp = erase(&admin, json!({"phone": PHONE})).await.unwrap();
    assert_eq!(resp.status(), 200);
    let erased: Value = resp.json().await.unwrap();
    for (field, n) in [
        ("contacts", 1),
        ("dialogs", 1),
        ("messages", 2),
        ("statuses", 1),
        ("sessions", 2),
        ("clicks", 1),
        ("visitors", 1),
    ] {
        assert_eq!(erased[field], n, "{field}: {erased}");
    }

    let text = database_text(&app).await;
    assert_eq!(
        traces(&text),
        Vec::<&str>::new(),
        "traces left after the erasure"
    );
    assert!(text.contains(OTHER_DIGITS), "the other contact is kept");
    // The dialog still counts, anonymous; the erased visits and clicks no longer do.
    let after = channel_counts(&app, from, to).await;
    let total = |c: &Counts, f: Fact| c.total(f);
    assert_eq!(total(&after, Fact::Dialogs), total(&before, Fact::Dialogs));
    assert_eq!(
        total(&after, Fact::Sessions),
        total(&before, Fact::Sessions) - 2
    );
    assert_eq!(
        total(&after, Fact::Clicks),
        total(&before, Fact::Clicks) - 1
    );
    let drift = app.store.rollup_drift(app.site.id).await.unwrap();
    assert!(drift.is_empty(), "rollups differ from the rows: {drift:?}");
    let dialogs = app.dialogs().await;
    assert_eq!(dialogs.len(), 2, "{dialogs:?}");
    for d in &dialogs {
        // Every card still opens; the erased contact's says nothing of them.
        let card = app.card(d["dialog_id"].as_str().unwrap()).await;
        assert!(
            traces(&card.to_string().to_lowercase()).is_empty(),
            "{card}"
        );
    }
    let logged: Vec<(String, i64)> = app
        .db
        .fetch_all("SELECT requested_by, dialogs FROM erasures", Vec::new())
        .await
        .unwrap();
    assert_eq!(logged, vec![("api".to_owned(), 1)]);
    // Erasing again finds nobody.
    let again: Value = erase(&admin, json!({"phone": DIGITS}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(again["contacts"], 0, "{again}");
}

/// `chatrail contact erase` and `chatrail site retention` on the real binary: their
/// answers, and a log line saying an erasure happened without saying whose.
async fn the_cli_erases_and_sets_retention(backend: Backend) {
    let app = spawn_app(backend).await;
    post_message(&app, "c1", PHONE, TEXT, FIXTURE_T).await;
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_chatrail-for-tests"))
            .args(args)
            .args(["--database-url", &app.database_url, "--site", "shop"])
            .env("RUST_LOG", "info")
            .env_remove("CHATRAIL_LOG_FORMAT")
            .output()
            .unwrap();
        let (stdout, stderr) = (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        );
        assert!(out.status.success(), "{args:?}: {stdout}{stderr}");
        (stdout, stderr)
    };
    let (stdout, stderr) = run(&["contact", "erase", "--phone", PHONE]);
    let erased: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(erased["contacts"], 1, "{stdout}");
    assert_eq!(erased["messages"], 1, "{stdout}");
    assert!(stderr.contains("contact erased"), "{stderr}");
    assert!(
        traces(&stderr.to_lowercase()).is_empty(),
        "the log names the person: {stderr}"
    );
    let logged: Vec<(String,)> = app
        .db
        .fetch_all("SELECT requested_by FROM erasures", Vec::new())
        .await
        .unwrap();
    assert_eq!(logged, vec![("cli".to_owned(),)]);

    let (stdout, _) = run(&["site", "retention", "--visits-days", "30"]);
    assert_eq!(stdout.trim(), r#"{"visits_days":30,"dialogs_days":null}"#);
    let (stdout, _) = run(&["site", "retention", "--dialogs-days", "400", "--run"]);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines[0], r#"{"visits_days":30,"dialogs_days":400}"#);
    let expired: Value = serde_json::from_str(lines[1]).unwrap();
    // The fixture's dialog is from November 2025: over 400 days old only from 2027 on.
    assert!(expired["dialogs"].is_u64(), "{stdout}");
    let (stdout, _) = run(&["site", "retention", "--visits-days", "0"]);
    assert_eq!(stdout.trim(), r#"{"visits_days":null,"dialogs_days":400}"#);
}

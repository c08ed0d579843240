//! `GET /api/v1/live`: a webhook's message reaches an open stream within seconds (on this
//! collector and on another one of the database), marked as starting its dialog; another site's stream hears nothing; the roles without dialogs are
//! refused, and so is a request without a token. The conformance test drives its statuses
//! ([`live`]), the 429 of a site with too many streams open included.

use std::time::Duration;

use chatrail_collector::domain::token::Role;
use chatrail_collector::routes::api::live::MAX_STREAMS_PER_SITE;
use chatrail_tests::app::{create_site, create_token, spawn_app, whatsapp_text, Backend, TestApp};
use chatrail_tests::on_both_backends;
use chatrail_tests::openapi::{call, Answer, Driver};
use serde_json::Value;

on_both_backends!(a_stream_hears_its_sites_new_messages_and_no_others);

const LIVE: &str = "/api/v1/live";

async fn open(app: &TestApp, token: &str) -> reqwest::Response {
    app.http
        .get(format!("{}{LIVE}", app.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

/// The `data` of each `event: message` the stream sends within `within`.
async fn events(resp: &mut reqwest::Response, within: Duration, want: usize) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + within;
    let mut text = String::new();
    let mut found = Vec::new();
    while found.len() < want {
        let Ok(chunk) = tokio::time::timeout_at(deadline, resp.chunk()).await else {
            break;
        };
        let Some(chunk) = chunk.unwrap() else { break };
        text.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = text.find("\n\n") {
            let block: String = text.drain(..end + 2).collect();
            if let Some(data) = block
                .strip_prefix("event: message\ndata: ")
                .map(str::trim_end)
            {
                found.push(serde_json::from_str(data).unwrap());
            }
        }
    }
    found
}

async fn a_stream_hears_its_sites_new_messages_and_no_others(backend: Backend) {
    let app = spawn_app(backend).await;
    let other = create_site(&app.store, "other", &["+44 7700 900777"]).await;
    let other_token = create_token(&app.store, &other, Role::Operator).await;
    let admin = create_token(&app.store, &app.site, Role::Admin).await;

    let mut mine = open(&app, &app.token).await;
    assert_eq!(mine.status(), 200);
    assert_eq!(
        mine.headers()["content-type"].to_str().unwrap(),
        "text/event-stream"
    );
    let mut theirs = open(&app, &other_token).await;
    assert_eq!(theirs.status(), 200);
    // An admin's stream, on another collector of the same database: it reads the rows.
    let elsewhere = app.another_collector(|_| {}).await;
    let mut admins = app
        .http
        .get(format!("{elsewhere}{LIVE}"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(admins.status(), 200);

    let now = chrono::Utc::now().timestamp();
    let first = whatsapp_text("wamid.live-1", "447700900555", "Ann", "Hi", now);
    assert_eq!(app.post_whatsapp(&first).await.status(), 200);
    let got = events(&mut mine, Duration::from_secs(5), 1).await;
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0]["started"], true, "{got:?}");
    let listed: Value = app.api_get("/api/v1/dialogs").await.json().await.unwrap();
    assert_eq!(got[0]["dialog_id"], listed["dialogs"][0]["dialog_id"]);
    assert!(got[0]["at"].is_string());
    assert_eq!(
        events(&mut admins, Duration::from_secs(5), 1).await.len(),
        1
    );

    // A second message of the dialog: not a start.
    let second = whatsapp_text("wamid.live-2", "447700900555", "Ann", "Hello?", now + 1);
    assert_eq!(app.post_whatsapp(&second).await.status(), 200);
    let got = events(&mut mine, Duration::from_secs(5), 1).await;
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0]["started"], false, "{got:?}");
    assert_eq!(got[0]["dialog_id"], listed["dialogs"][0]["dialog_id"]);

    // The other site heard nothing.
    assert_eq!(
        events(&mut theirs, Duration::from_secs(2), 1).await,
        Vec::<Value>::new()
    );

    let analyst = create_token(&app.store, &app.site, Role::Analyst).await;
    assert_eq!(open(&app, &analyst).await.status(), 403);
    let anonymous = app.http.get(format!("{}{LIVE}", app.base)).send();
    assert_eq!(anonymous.await.unwrap().status(), 401);
}

/// The stream's statuses, each checked against the description: 200 (its first chunk), 403,
/// 401, and 429 once the site has its most streams open.
pub async fn live(d: &Driver<'_>, operator: &str, analyst: &str) {
    let first = open(d.app, operator).await;
    let status = first.status().as_u16();
    let content_type = first
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned());
    let mut first = first;
    let chunk = first.chunk().await.unwrap().unwrap_or_default();
    let answer = Answer {
        status,
        content_type,
        body: chunk.to_vec(),
    };
    d.checked("GET", LIVE, answer, 200);
    d.expect(call("GET", LIVE, LIVE).token(analyst), 403).await;
    d.expect(call("GET", LIVE, LIVE), 401).await;
    let mut open_ones = vec![first];
    while open_ones.len() < MAX_STREAMS_PER_SITE {
        open_ones.push(open(d.app, operator).await);
    }
    d.expect(call("GET", LIVE, LIVE).token(operator), 429).await;
    // Streams the clients closed give their places back.
    drop(open_ones);
    let mut again = 0;
    for _ in 0..40 {
        again = open(d.app, operator).await.status().as_u16();
        if again == 200 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(again, 200, "closed streams keep their places");
}

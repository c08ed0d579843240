//! Conversions uploaded to Google Ads through the Data Manager API, against local fake
//! endpoints for Google's token endpoint and `events:ingest` (no network): the OAuth exchange
//! (the refresh token sent, the access token used and cached), the payload field by field
//! against a fixture citing Google's page, consent and missing-click-id drops, a 4xx shown as
//! `failed` with Google's answer, a 5xx retried until it is sent.

use chatrail_collector::domain::token::Role;
use chatrail_tests::app::{create_token, Backend};
use chatrail_tests::fake_endpoint::{FakeEndpoint, Received};
use chatrail_tests::on_both_backends;
use serde_json::json;

use crate::conversions::{
    add, app, assert_shape, chat_after_visit, edit, fixture_json, list, log, settled, won,
};

on_both_backends!(
    google_ads_gets_click_conversions_with_an_oauth_token,
    a_held_delivery_claimed_past_its_window_expires_unsent,
    a_null_endpoint_resets_to_the_platforms_own,
    yandex_metrica_gets_chats_and_offline_conversions_as_csv_uploads,
);

const GCLID: &str = "Cj0KCQiA-test-gclid";
const REFRESH: &str = "1//test-refresh-token";
const CLIENT_SECRET: &str = "GOCSPX-test-client-secret";

fn form(r: &Received) -> Vec<(String, String)> {
    form_urlencoded::parse(&r.body).into_owned().collect()
}

async fn google_ads_gets_click_conversions_with_an_oauth_token(backend: Backend) {
    let app = app(backend).await;
    let google = FakeEndpoint::start();
    let oauth = FakeEndpoint::start();
    oauth.answer_body(
        r#"{"access_token": "ya29.test-access", "expires_in": 3599, "token_type": "Bearer"}"#,
    );
    let admin = create_token(&app.store, &app.site, Role::Admin).await;
    let secret = json!({"client_secret": CLIENT_SECRET, "refresh_token": REFRESH}).to_string();
    let (ads, created) = add(
        &app,
        &admin,
        json!({"kind": "google_ads", "name": "Google Ads", "endpoint": google.base,
            "settings": {"customer_id": "1234567890", "login_customer_id": "9876543210",
                "client_id": "123-abc.apps.googleusercontent.com",
                "token_url": format!("{}/token", oauth.base)},
            "secret": secret, "events": {"started": "111222333", "won": "222333444"}}),
    )
    .await;
    let listed = list(&app, &admin).await.to_string();
    for shown in [created.to_string(), listed] {
        assert!(
            !shown.contains(REFRESH) && !shown.contains(CLIENT_SECRET),
            "{shown}"
        );
    }

    // A chat after a visit from a Google ad: its start, then the purchase.
    let url = format!("https://shop.example/oak?gclid={GCLID}");
    let dialog = chat_after_visit(&app, &url, json!({}), "447911123456").await;
    settled(&app, &admin, &ads, 1).await;
    won(&app, &dialog, &admin).await;
    let log = settled(&app, &admin, &ads, 2).await;
    assert!(log.iter().all(|d| d["state"] == "sent"), "{log:#?}");
    let sent = google.accepted();
    assert_eq!(sent.len(), 2);
    for r in &sent {
        assert_eq!(r.path_and_query, "/v1/events:ingest");
        assert_eq!(r.headers["authorization"], "Bearer ya29.test-access");
    }
    let lead = sent[0].json();
    assert_eq!(lead["destinations"][0]["productDestinationId"], "111222333");
    assert!(lead["events"][0].get("conversionValue").is_none());
    let purchase = sent[1].json();
    assert_shape(
        &fixture_json("google_ads_purchase.json"),
        &purchase,
        "google ads",
    );
    assert_ne!(
        lead["events"][0]["transactionId"],
        purchase["events"][0]["transactionId"]
    );
    let at = purchase["events"][0]["eventTimestamp"].as_str().unwrap();
    assert!(chrono::DateTime::parse_from_rfc3339(at).is_ok(), "{at}");
    // One exchange for both: the refresh token sent, the access token cached.
    let exchanges = oauth.received();
    assert_eq!(exchanges.len(), 1);
    assert_eq!(exchanges[0].path_and_query, "/token");
    let mut got = form(&exchanges[0]);
    got.sort();
    let mut want: Vec<(String, String)> = [
        ("client_id", "123-abc.apps.googleusercontent.com"),
        ("client_secret", CLIENT_SECRET),
        ("grant_type", "refresh_token"),
        ("refresh_token", REFRESH),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    want.sort();
    assert_eq!(got, want);

    // A visitor who denied advertising consent, and a visit without a Google click id.
    let denied_gclid = "Cj0-denied-visitor";
    let denied = format!("https://shop.example/oak?gclid={denied_gclid}");
    chat_after_visit(&app, &denied, json!({"ads": false}), "447911000111").await;
    let log = settled(&app, &admin, &ads, 3).await;
    assert_eq!(log[0]["state"], "dropped");
    assert_eq!(log[0]["answer"], "the visitor denied advertising consent");
    let plain = "https://shop.example/oak?fbclid=IwAR-not-google";
    chat_after_visit(&app, plain, json!({}), "447911000222").await;
    let log = settled(&app, &admin, &ads, 4).await;
    assert_eq!(log[0]["state"], "dropped");
    assert_eq!(
        log[0]["answer"],
        "the visit came with no Google click id (gclid, gbraid, wbraid)"
    );
    let all: Vec<Received> = google.received();
    assert_eq!(all.len(), 2, "nothing more sent");
    assert!(!all
        .iter()
        .any(|r| String::from_utf8_lossy(&r.body).contains(denied_gclid)));

    // Google refuses an event (4xx): failed, with its answer, not retried.
    let refusal =
        r#"{"error": {"code": 400, "status": "INVALID_ARGUMENT", "message": "test refusal"}}"#;
    google.answer(400);
    google.answer_body(refusal);
    let wbraid = "https://shop.example/oak?wbraid=WB-test";
    chat_after_visit(&app, wbraid, json!({}), "447911000333").await;
    let log = settled(&app, &admin, &ads, 5).await;
    assert_eq!(log[0]["state"], "failed", "{:#?}", log[0]);
    assert_eq!(log[0]["status"], 400);
    assert!(log[0]["answer"].as_str().unwrap().contains("test refusal"));
    let refused = google.received().last().unwrap().json();
    assert_eq!(
        refused["events"][0]["adIdentifiers"],
        json!({"wbraid": "WB-test"})
    );

    // Google is down (5xx): retried, then sent once it is back.
    google.answer(503);
    google.answer_body(r#"{"error": {"code": 503}}"#);
    let gbraid = "https://shop.example/oak?gbraid=GB-test";
    chat_after_visit(&app, gbraid, json!({}), "447911000444").await;
    let tried = |google: &FakeEndpoint| {
        google
            .received()
            .iter()
            .filter(|r| String::from_utf8_lossy(&r.body).contains("GB-test"))
            .count()
    };
    let until = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while tried(&google) < 2 && std::time::Instant::now() < until {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(tried(&google) >= 2, "retried while down");
    google.answer(200);
    google.answer_body(r#"{"requestId": "test-request"}"#);
    let log = settled(&app, &admin, &ads, 6).await;
    assert_eq!(log[0]["state"], "sent", "{:#?}", log[0]);
    assert_eq!(log[0]["status"], 200);
    assert_eq!(oauth.received().len(), 1, "the access token still cached");
}

async fn a_held_delivery_claimed_past_its_window_expires_unsent(backend: Backend) {
    let app = app(backend).await;
    let crm = FakeEndpoint::start();
    crm.answer(503);
    let admin = create_token(&app.store, &app.site, Role::Admin).await;
    let (hook, _) = add(
        &app,
        &admin,
        json!({"kind": "webhook", "name": "CRM", "endpoint": crm.base, "events": {"started": "s"}}),
    )
    .await;
    chat_after_visit(&app, "https://shop.example/oak", json!({}), "447911000555").await;
    // Tried while the CRM is down, then held by a pause.
    let until = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while crm.received().is_empty() && std::time::Instant::now() < until {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let (status, answer) = edit(&app, &admin, &hook, json!({"enabled": false})).await;
    assert_eq!(status, 200, "{answer}");
    let tried = crm.received().len();
    assert!(tried >= 1);
    // Four days pass (the webhook's window is three) while it is paused.
    let four_days = 4 * 86_400_000;
    let sql = format!("UPDATE conversion_events SET occurred_at = occurred_at - {four_days}");
    app.db.execute(&sql, vec![]).await.unwrap();
    crm.answer(200);
    let (status, answer) = edit(&app, &admin, &hook, json!({"enabled": true})).await;
    assert_eq!(status, 200, "{answer}");
    let done = settled(&app, &admin, &hook, 1).await;
    assert_eq!(done[0]["state"], "expired", "{:#?}", done[0]);
    assert_eq!(
        done[0]["answer"],
        "not sent within 72 hours of the event, webhook's window"
    );
    assert!(crm.accepted().is_empty(), "nothing sent after the window");
    assert_eq!(crm.received().len(), tried);
}

async fn a_null_endpoint_resets_to_the_platforms_own(backend: Backend) {
    let app = app(backend).await;
    let admin = create_token(&app.store, &app.site, Role::Admin).await;
    let (ga4, _) = add(
        &app,
        &admin,
        json!({"kind": "ga4", "name": "GA4", "endpoint": "http://127.0.0.1:9/proxy",
            "settings": {"measurement_id": "G-TEST123"}, "secret": "mp-secret"}),
    )
    .await;
    let (status, kept) = edit(&app, &admin, &ga4, json!({"name": "GA4 (EU)"})).await;
    assert_eq!(status, 200, "{kept}");
    assert_eq!(
        kept["endpoint"], "http://127.0.0.1:9/proxy",
        "left out: kept"
    );
    let (status, reset) = edit(&app, &admin, &ga4, json!({"endpoint": null})).await;
    assert_eq!(status, 200, "{reset}");
    assert_eq!(reset["endpoint"], "https://www.google-analytics.com");
    assert_eq!(reset["name"], "GA4 (EU)");
    let (hook, _) = add(
        &app,
        &admin,
        json!({"kind": "webhook", "name": "CRM", "endpoint": "http://127.0.0.1:9/hook"}),
    )
    .await;
    let (status, refused) = edit(&app, &admin, &hook, json!({"endpoint": null})).await;
    assert_eq!(status, 400, "{refused}");
    assert!(
        refused
            .to_string()
            .contains("a webhook needs its endpoint URL"),
        "{refused}"
    );
    let listed = list(&app, &admin).await;
    assert!(
        listed.to_string().contains("http://127.0.0.1:9/hook"),
        "{listed}"
    );
    assert!(log(&app, &admin, &ga4).await.is_empty());
}

/// The CSV file of a Metrica upload (`multipart/form-data`, one part `file`): its header,
/// then its rows.
fn uploaded_csv(r: &Received) -> Vec<Vec<String>> {
    let boundary = r.headers["content-type"]
        .strip_prefix("multipart/form-data; boundary=")
        .expect("a multipart upload")
        .to_owned();
    let body = String::from_utf8(r.body.clone()).unwrap();
    let part = body
        .split(&format!("--{boundary}"))
        .nth(1)
        .expect("one part");
    assert!(part.contains("name=\"file\""), "{part}");
    let csv = part
        .split_once("\r\n\r\n")
        .unwrap()
        .1
        .trim_end_matches("\r\n");
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(csv.as_bytes())
        .into_records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

/// `r`'s upload has the fixture's path, header and row (`*`: any non-empty value).
fn assert_upload(expected: &serde_json::Value, r: &Received) {
    assert_eq!(r.path_and_query, expected["path"].as_str().unwrap());
    assert_eq!(r.headers["authorization"], "OAuth y0_test-oauth-token");
    let rows = uploaded_csv(r);
    assert_eq!(rows.len(), 2, "one row and the header: {rows:?}");
    let (header, row) = (&rows[0], &rows[1]);
    assert_eq!(json!(header), expected["header"]);
    let want = expected["row"].as_array().unwrap();
    assert_eq!(row.len(), want.len(), "{row:?}");
    for (i, (got, want)) in row.iter().zip(want).enumerate() {
        match want.as_str().unwrap() {
            "*" => assert!(!got.is_empty(), "column {i} empty"),
            want => assert_eq!(got, want, "column {}", header[i]),
        }
    }
}

async fn yandex_metrica_gets_chats_and_offline_conversions_as_csv_uploads(backend: Backend) {
    let app = app(backend).await;
    let metrica = FakeEndpoint::start();
    let admin = create_token(&app.store, &app.site, Role::Admin).await;
    let (ym, created) = add(
        &app,
        &admin,
        json!({"kind": "yandex_metrica", "name": "Metrica", "endpoint": metrica.base,
            "settings": {"counter_id": "2215573", "chats": "true"},
            "secret": "y0_test-oauth-token"}),
    )
    .await;
    assert!(!created.to_string().contains("y0_test"), "{created}");
    let fixture = fixture_json("yandex_metrica.json");
    let ym_id = json!({"ym_client_id": "1700000000123456789"});
    let dialog = chat_after_visit(
        &app,
        "https://shop.example/oak?yclid=7291",
        ym_id.clone(),
        "447911000666",
    )
    .await;
    settled(&app, &admin, &ym, 1).await;
    won(&app, &dialog, &admin).await;
    let log = settled(&app, &admin, &ym, 2).await;
    assert!(log.iter().all(|d| d["state"] == "sent"), "{log:#?}");
    let sent = metrica.accepted();
    assert_eq!(sent.len(), 2);
    assert_upload(&fixture["chat"], &sent[0]);
    assert_eq!(
        uploaded_csv(&sent[0])[1][4],
        dialog,
        "the chat's id is the dialog's"
    );
    assert_upload(&fixture["purchase"], &sent[1]);

    // No Metrica ids, or no consent: dropped, never uploaded.
    chat_after_visit(&app, "https://shop.example/oak", json!({}), "447911000777").await;
    let log = settled(&app, &admin, &ym, 3).await;
    assert_eq!(log[0]["state"], "dropped");
    assert_eq!(
        log[0]["answer"],
        "the visit carried no Metrica ClientID (_ym_uid) nor yclid"
    );
    let denied = json!({"ads": false, "ym_client_id": "1700000000999999999"});
    chat_after_visit(&app, "https://shop.example/oak", denied, "447911000888").await;
    let log = settled(&app, &admin, &ym, 4).await;
    assert_eq!(log[0]["state"], "dropped");
    assert_eq!(log[0]["answer"], "the visitor denied advertising consent");
    assert_eq!(metrica.received().len(), 2);
}

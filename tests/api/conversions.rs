//! Conversions (issue 19) against local fake endpoints, no network: destinations over the
//! API (secrets never shown back, one site's invisible to another), the payloads each
//! platform gets (field by field against fixtures citing the platforms' pages), Standard
//! Webhooks signatures, consent, retries while an endpoint is down (every event once when it
//! returns), the outbox outliving a collector that never sent it, and two collectors on one
//! PostgreSQL sending each event once.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use chatrail_collector::conversions::{DestinationKind, NewDestination};
use chatrail_collector::domain::token::Role;
use chatrail_tests::app::{
    create_site, create_token, spawn_app_with, whatsapp_text, Backend, TestApp,
};
use chatrail_tests::fake_endpoint::{FakeEndpoint, Received};
use chatrail_tests::inbound::fixture;
use chatrail_tests::on_both_backends;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::beacons::{ids, post};
use crate::outcomes::send as call;

on_both_backends!(
    webhooks_get_each_event_signed_with_the_source_card,
    ad_platforms_get_their_documented_shapes_and_only_with_consent,
    a_destination_down_gets_every_event_once_when_it_returns,
    a_paused_destination_holds_its_deliveries_and_edits_take_effect,
    the_outbox_outlives_a_collector_that_never_sent_it,
    offline_import_files_list_each_platforms_conversions,
    the_cli_adds_lists_and_removes_destinations,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_collectors_on_one_postgres_send_each_event_once() {
    two_collectors_send_each_event_once(Backend::Postgres).await;
}

const WAIT: Duration = Duration::from_secs(20);
const METRICS_TOKEN: &str = "metrics-token-of-the-test";

/// A collector whose sender looks for due deliveries every 50 ms and retries after 100 ms.
pub(crate) async fn app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |s| {
        s.conversions_poll_ms = 50;
        s.conversions_retry_ms = 100;
        s.metrics_token = Some(METRICS_TOKEN.into());
    })
    .await
}

/// Adds a destination; its id and the creation's answer.
pub(crate) async fn add(app: &TestApp, admin: &str, body: Value) -> (String, Value) {
    let (status, answer) = call(
        app,
        reqwest::Method::POST,
        "/conversions/destinations",
        admin,
        Some(body),
    )
    .await;
    assert_eq!(status, 201, "{answer}");
    (
        answer["destination_id"].as_str().unwrap().to_owned(),
        answer,
    )
}

/// The site's destinations as listed.
pub(crate) async fn list(app: &TestApp, admin: &str) -> Value {
    let path = "/conversions/destinations";
    let (status, answer) = call(app, reqwest::Method::GET, path, admin, None).await;
    assert_eq!(status, 200, "{answer}");
    answer
}

pub(crate) async fn log(app: &TestApp, admin: &str, id: &str) -> Vec<Value> {
    let path = format!("/conversions/destinations/{id}/deliveries");
    let (status, answer) = call(app, reqwest::Method::GET, &path, admin, None).await;
    assert_eq!(status, 200, "{answer}");
    answer.as_array().unwrap().clone()
}

/// Waits until the destination's log has `n` deliveries none of them pending; them.
pub(crate) async fn settled(app: &TestApp, admin: &str, id: &str, n: usize) -> Vec<Value> {
    let until = Instant::now() + WAIT;
    loop {
        let all = log(app, admin, id).await;
        let done = all.iter().filter(|d| d["state"] != "pending").count();
        if done >= n || Instant::now() > until {
            assert_eq!(done, n, "deliveries settled: {all:#?}");
            return all;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A visit of `url` with the beacon's `extra` fields, then a WhatsApp message carrying its
/// code from `phone`; the dialog's id.
pub(crate) async fn chat_after_visit(
    app: &TestApp,
    url: &str,
    extra: Value,
    phone: &str,
) -> String {
    let (visitor, session, code) = ids();
    let mut visit = json!({"site": "shop", "visitor": visitor, "session": session,
        "code": code.as_str(), "url": url});
    visit
        .as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    let before = app.ingest_counter("written").await;
    assert_eq!(
        post(app, "/collect/visit", visit.to_string())
            .await
            .status(),
        202
    );
    app.wait_written(before + 1).await;
    let text = format!("Is the oak table in stock? (ref {code})");
    let wamid = format!("wamid.{}", uuid::Uuid::new_v4().simple());
    let now = chrono::Utc::now().timestamp();
    let report: Value = app
        .post_whatsapp(&whatsapp_text(&wamid, phone, "Tom", &text, now))
        .await
        .json()
        .await
        .unwrap();
    report["dialogs"][0].as_str().unwrap().to_owned()
}

pub(crate) async fn won(app: &TestApp, id: &str, token: &str) {
    let path = format!("/dialogs/{id}/outcome");
    let body = json!({"stage": "won", "value": "1500.50", "currency": "USD"});
    let (status, answer) = call(app, reqwest::Method::PUT, &path, token, Some(body)).await;
    assert_eq!(status, 200, "{answer}");
}

/// `actual` has the shape of `expected`: the same keys (but `_source`), equal values, where
/// `"*"` stands for any non-null value.
pub(crate) fn assert_shape(expected: &Value, actual: &Value, at: &str) {
    match (expected, actual) {
        (Value::String(s), a) if s == "*" => assert!(!a.is_null(), "{at}: missing"),
        (Value::Object(e), Value::Object(a)) => {
            let keys = |m: &serde_json::Map<String, Value>| {
                let mut k: Vec<String> = m.keys().filter(|k| *k != "_source").cloned().collect();
                k.sort();
                k
            };
            assert_eq!(keys(e), keys(a), "{at}: fields");
            for (k, v) in e.iter().filter(|(k, _)| *k != "_source") {
                assert_shape(v, &a[k], &format!("{at}.{k}"));
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            assert_eq!(e.len(), a.len(), "{at}: length");
            for (i, (e, a)) in e.iter().zip(a).enumerate() {
                assert_shape(e, a, &format!("{at}[{i}]"));
            }
        }
        (e, a) => assert_eq!(e, a, "{at}"),
    }
}

pub(crate) fn fixture_json(name: &str) -> Value {
    serde_json::from_str(&fixture(&format!("conversions/{name}"))).unwrap()
}

/// The Standard Webhooks signature `secret` gives `r`.
fn signature(secret: &str, r: &Received) -> String {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap())
        .unwrap();
    let (id, ts) = (&r.headers["webhook-id"], &r.headers["webhook-timestamp"]);
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{id}.{ts}.").as_bytes());
    mac.update(&r.body);
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

/// Checks a Standard Webhooks signature as a receiver would.
fn verify(secret: &str, r: &Received) {
    let ts = &r.headers["webhook-timestamp"];
    assert_eq!(
        r.headers["webhook-signature"],
        signature(secret, r),
        "signature"
    );
    let age = chrono::Utc::now().timestamp() - ts.parse::<i64>().unwrap();
    assert!((0..60).contains(&age), "a fresh timestamp");
}

async fn webhooks_get_each_event_signed_with_the_source_card(backend: Backend) {
    let app = app(backend).await;
    let crm = FakeEndpoint::start();
    let admin = create_token(&app.store, &app.site, Role::Admin).await;
    let (id, created) = add(
        &app,
        &admin,
        json!({"kind": "webhook", "name": "CRM", "endpoint": format!("{}/hooks/chatrail", crm.base)}),
    )
    .await;
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"), "a secret made up, shown once");
    let (_, listed) = call(
        &app,
        reqwest::Method::GET,
        "/conversions/destinations",
        &admin,
        None,
    )
    .await;
    assert_eq!(listed[0]["name"], "CRM");
    assert!(
        !listed.to_string().contains(&secret[6..]),
        "never shown back"
    );

    let dialog = chat_after_visit(
        &app,
        "https://shop.test/oak-table",
        json!({}),
        "447911123456",
    )
    .await;
    crm.wait_accepted(1, WAIT).await;
    won(&app, &dialog, &admin).await;
    let got = crm.wait_accepted(2, WAIT).await;
    assert_eq!(got.len(), 2);
    for r in &got {
        verify(&secret, r);
        assert_eq!(r.path_and_query, "/hooks/chatrail");
        assert_eq!(r.headers["content-type"], "application/json");
    }
    let started = got[0].json();
    assert_eq!(started["type"], "dialog.started");
    assert_eq!(started["data"]["card"]["match"]["kind"], "exact");
    assert_eq!(started["data"]["card"]["contact"]["phone"], "447911123456");
    let changed = got[1].json();
    assert_shape(&fixture_json("webhook.json"), &changed, "webhook");
    assert_eq!(changed["data"]["dialog_id"], dialog);
    assert_ne!(got[0].headers["webhook-id"], got[1].headers["webhook-id"]);

    let deliveries = settled(&app, &admin, &id, 2).await;
    assert!(deliveries
        .iter()
        .all(|d| d["state"] == "sent" && d["status"] == 200));
    // A sent delivery is never sent again.
    let event = deliveries[0]["event_id"].as_str().unwrap();
    let retry = format!("/conversions/destinations/{id}/deliveries/{event}/retry");
    assert_eq!(
        call(&app, reqwest::Method::POST, &retry, &admin, None)
            .await
            .0,
        404
    );
    // A test event, on the newest dialog.
    let test = format!("/conversions/destinations/{id}/test");
    let (status, queued) = call(&app, reqwest::Method::POST, &test, &admin, None).await;
    assert_eq!(status, 202);
    let got = crm.wait_accepted(3, WAIT).await;
    let body = got[2].json();
    assert_eq!(body["type"], "test");
    assert_eq!(body["data"]["event_id"], queued["event_id"]);
    assert_eq!(body["data"]["dialog_id"], dialog);
    settled(&app, &admin, &id, 3).await;
    let metrics = app
        .http
        .get(format!("{}/metrics", app.base))
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("chatrail_conversion_deliveries{state=\"sent\"} 3"),
        "{metrics}"
    );

    // Another site's admin sees none of it; operators cannot manage destinations.
    let other = create_site(&app.store, "other", &["+44 7700 900999"]).await;
    let outsider = create_token(&app.store, &other, Role::Admin).await;
    let (_, theirs) = call(
        &app,
        reqwest::Method::GET,
        "/conversions/destinations",
        &outsider,
        None,
    )
    .await;
    assert_eq!(theirs, json!([]));
    let path = format!("/conversions/destinations/{id}/deliveries");
    assert_eq!(
        call(&app, reqwest::Method::GET, &path, &outsider, None)
            .await
            .0,
        404
    );
    assert_eq!(
        call(&app, reqwest::Method::POST, &test, &outsider, None)
            .await
            .0,
        404
    );
    let path = format!("/conversions/destinations/{id}");
    assert_eq!(
        call(&app, reqwest::Method::DELETE, &path, &outsider, None)
            .await
            .0,
        404
    );
    assert_eq!(
        call(
            &app,
            reqwest::Method::GET,
            "/conversions/destinations",
            &app.token,
            None
        )
        .await
        .0,
        403
    );
    assert_eq!(
        call(&app, reqwest::Method::DELETE, &path, &admin, None)
            .await
            .0,
        204
    );
    assert_eq!(list(&app, &admin).await, json!([]));
}

async fn ad_platforms_get_their_documented_shapes_and_only_with_consent(backend: Backend) {
    let app = app(backend).await;
    let platform = FakeEndpoint::start();
    let admin = create_token(&app.store, &app.site, Role::Admin).await;
    let (meta, _) = add(
        &app,
        &admin,
        json!({"kind": "meta", "name": "Meta", "endpoint": platform.base,
            "settings": {"dataset_id": "1234567890", "whatsapp_business_account_id": "102290129340398"},
            "secret": "EAAB-test-token"}),
    )
    .await;
    let (ga4, _) = add(
        &app,
        &admin,
        json!({"kind": "ga4", "name": "GA4", "endpoint": format!("{}/ga", platform.base),
            "settings": {"measurement_id": "G-TEST123"}, "secret": "mp-secret"}),
    )
    .await;
    let meta_url = "/1234567890/events?access_token=EAAB-test-token";
    let ga4_url = "/ga/mp/collect?measurement_id=G-TEST123&api_secret=mp-secret";
    let sent_to = |url: &str| -> Vec<Value> {
        let all = platform.accepted();
        all.iter()
            .filter(|r| r.path_and_query == url)
            .map(Received::json)
            .collect()
    };

    // A chat from a Click-to-WhatsApp ad: Meta's business-messaging event; GA4 has no visit.
    let ctwa = fixture_json("meta_business_messaging.json")["data"][0]["user_data"]["ctwa_clid"]
        .as_str()
        .unwrap()
        .to_owned();
    let message = json!({"channel": "whatsapp", "message_id": "ctwa-1", "business_number": "79001234567",
        "sender_phone": "+44 7911 654321", "text": "Is it in stock?",
        "sent_at": chrono::Utc::now().to_rfc3339(),
        "referral": {"source_id": "1202", "headline": "Oak", "source_type": "ad", "ctwa_clid": ctwa}});
    let (status, stored) = call(
        &app,
        reqwest::Method::POST,
        "/messages",
        &app.token,
        Some(message),
    )
    .await;
    assert_eq!(status, 200, "{stored}");
    let (_, cards) = call(&app, reqwest::Method::GET, "/dialogs", &app.token, None).await;
    let ctwa_dialog = cards["dialogs"][0]["dialog_id"]
        .as_str()
        .unwrap()
        .to_owned();
    settled(&app, &admin, &meta, 1).await;
    won(&app, &ctwa_dialog, &admin).await;
    settled(&app, &admin, &meta, 2).await;
    let events = sent_to(meta_url);
    assert_eq!(events.len(), 2, "LeadSubmitted then Purchase");
    assert_eq!(events[0]["data"][0]["event_name"], "LeadSubmitted");
    assert_shape(
        &fixture_json("meta_business_messaging.json"),
        &events[1],
        "meta",
    );
    let ga4_log = settled(&app, &admin, &ga4, 2).await;
    for d in ga4_log {
        assert_eq!(d["state"], "dropped");
        assert_eq!(d["answer"], "the dialog has no website visit");
    }

    // A chat after a visit from a Facebook ad, with GA's cookies: Meta's website event (fbc,
    // hashed phone) and GA4's, then the purchase.
    let url = fixture_json("meta_website.json")["data"][0]["event_source_url"]
        .as_str()
        .unwrap()
        .to_owned();
    let ga = json!({"ga_client_id": "123456789.1700000000", "ga_session_id": "1700000123"});
    let site_dialog = chat_after_visit(&app, &url, ga.clone(), "447911123456").await;
    settled(&app, &admin, &meta, 3).await;
    settled(&app, &admin, &ga4, 3).await;
    won(&app, &site_dialog, &admin).await;
    settled(&app, &admin, &meta, 4).await;
    settled(&app, &admin, &ga4, 4).await;
    let events = sent_to(meta_url);
    let lead = &events[2];
    assert_shape(&fixture_json("meta_website.json"), lead, "meta website");
    let session_start = {
        let (_, card) = call(
            &app,
            reqwest::Method::GET,
            &format!("/dialogs/{site_dialog}"),
            &app.token,
            None,
        )
        .await;
        chrono::DateTime::parse_from_rfc3339(card["session"]["started_at"].as_str().unwrap())
            .unwrap()
            .timestamp_millis()
    };
    let user = &lead["data"][0]["user_data"];
    let fbclid = "IwAR2F4-dbP0l7Mn1IawQQGCINEz7PYXQvwjNwB_qa2ofrHyiLjcbCRxTDMgk";
    assert_eq!(user["fbc"], format!("fb.1.{session_start}.{fbclid}"));
    assert_eq!(user["ph"][0], hex::encode(Sha256::digest(b"447911123456")));
    assert_eq!(
        events[3]["data"][0]["custom_data"],
        json!({"value": 1500.5, "currency": "USD"})
    );
    let ga4_events = sent_to(ga4_url);
    assert_eq!(ga4_events.len(), 2);
    assert_eq!(ga4_events[0]["events"][0]["name"], "generate_lead");
    assert_shape(&fixture_json("ga4_purchase.json"), &ga4_events[1], "ga4");
    // Event ids: stable per event, the same one at every destination.
    assert_eq!(
        ga4_events[1]["events"][0]["params"]["transaction_id"],
        events[3]["data"][0]["event_id"]
    );

    // A visitor who denied advertising consent: nothing goes to either platform.
    let denied = json!({"ads": false, "ga_client_id": "555.1700000000"});
    chat_after_visit(&app, &url, denied, "447911000111").await;
    let meta_log = settled(&app, &admin, &meta, 5).await;
    let ga4_log = settled(&app, &admin, &ga4, 5).await;
    for log in [&meta_log, &ga4_log] {
        assert_eq!(log[0]["state"], "dropped");
        assert_eq!(log[0]["answer"], "the visitor denied advertising consent");
    }
    assert_eq!(sent_to(meta_url).len(), 4);
    assert_eq!(sent_to(ga4_url).len(), 2);
    // The denied visitor's GA client id is in no request (a bare "555" could be in any id).
    let denied_id = b"555.1700000000";
    assert!(!platform
        .received()
        .iter()
        .any(|r| r.body.windows(denied_id.len()).any(|w| w == denied_id)));
}

async fn a_destination_down_gets_every_event_once_when_it_returns(backend: Backend) {
    let app = app(backend).await;
    let crm = FakeEndpoint::start();
    crm.answer(503);
    let admin = create_token(&app.store, &app.site, Role::Admin).await;
    let (id, _) = add(
        &app,
        &admin,
        json!({"kind": "webhook", "name": "CRM", "endpoint": crm.base, "events": {"started": "dialog.started"}}),
    )
    .await;
    for i in 0..5 {
        chat_after_visit(
            &app,
            "https://shop.test/",
            json!({}),
            &format!("4479111000{i:02}"),
        )
        .await;
    }
    // Tried and refused while down, each more than once.
    let until = Instant::now() + WAIT;
    while crm.received().len() < 10 && Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(crm.received().len() >= 10, "retried while down");
    let pending = log(&app, &admin, &id).await;
    assert!(
        pending
            .iter()
            .all(|d| d["state"] == "pending" && d["status"] == 503),
        "{pending:#?}"
    );
    crm.answer(200);
    let got = crm.wait_accepted(5, WAIT).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut once: HashMap<String, usize> = HashMap::new();
    for r in crm.accepted() {
        *once.entry(r.headers["webhook-id"].clone()).or_default() += 1;
    }
    assert_eq!(got.len(), 5);
    assert_eq!(once.len(), 5, "five events");
    assert!(
        once.values().all(|n| *n == 1),
        "each accepted once: {once:?}"
    );
    let all = settled(&app, &admin, &id, 5).await;
    assert!(all
        .iter()
        .all(|d| d["state"] == "sent" && d["attempts"].as_i64() > Some(1)));
}

/// Changes a destination; the status and the answer.
pub(crate) async fn edit(app: &TestApp, token: &str, id: &str, body: Value) -> (u16, Value) {
    let path = format!("/conversions/destinations/{id}");
    call(app, reqwest::Method::PATCH, &path, token, Some(body)).await
}

async fn a_paused_destination_holds_its_deliveries_and_edits_take_effect(backend: Backend) {
    let app = app(backend).await;
    let crm = FakeEndpoint::start();
    crm.answer(503);
    let admin = create_token(&app.store, &app.site, Role::Admin).await;
    let (id, created) = add(
        &app,
        &admin,
        json!({"kind": "webhook", "name": "CRM", "endpoint": crm.base, "events": {"started": "dialog.started"}}),
    )
    .await;
    let old = created["secret"].as_str().unwrap().to_owned();
    chat_after_visit(&app, "https://shop.test/", json!({}), "447911000001").await;
    let until = Instant::now() + WAIT;
    while crm.received().is_empty() && Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(!crm.received().is_empty(), "tried while down");

    // Paused: the pending delivery is held, even made due now, and a new chat's event is
    // not recorded for it.
    let (status, paused) = edit(&app, &admin, &id, json!({"enabled": false})).await;
    assert_eq!(status, 200, "{paused}");
    assert_eq!(paused["enabled"], false);
    assert_eq!(paused["name"], "CRM");
    assert!(paused.get("secret").is_none(), "never shown back");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let tried = crm.received().len();
    let pending = log(&app, &admin, &id).await;
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0]["state"], "pending");
    let event = pending[0]["event_id"].as_str().unwrap().to_owned();
    let retry = format!("/conversions/destinations/{id}/deliveries/{event}/retry");
    let (status, _) = call(&app, reqwest::Method::POST, &retry, &admin, None).await;
    assert_eq!(status, 202);
    chat_after_visit(&app, "https://shop.test/", json!({}), "447911000002").await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(crm.received().len(), tried, "nothing sent while paused");
    assert_eq!(log(&app, &admin, &id).await.len(), 1, "no new event for it");

    // Resumed, renamed, with other events and a new secret: the held one is sent once,
    // under its new name, signed with the new secret and not the old.
    crm.answer(200);
    let new = format!("whsec_{}", STANDARD.encode([7u8; 24]));
    let events = json!({"started": "lead.new", "matched": "lead.matched"});
    let (status, resumed) = edit(
        &app,
        &admin,
        &id,
        json!({"enabled": true, "name": "CRM 2", "events": events, "secret": new}),
    )
    .await;
    assert_eq!(status, 200, "{resumed}");
    assert_eq!(resumed["enabled"], true);
    assert_eq!(resumed["name"], "CRM 2");
    assert_eq!(resumed["events"], events);
    assert_eq!(resumed["deliveries"]["pending"], 1);
    assert!(!resumed.to_string().contains(&new[6..]), "never shown back");
    let got = crm.wait_accepted(1, WAIT).await;
    assert_eq!(got[0].json()["type"], "lead.new");
    let held = format!("msg_{}", event.replace('-', ""));
    assert_eq!(got[0].headers["webhook-id"], held);
    verify(&new, &got[0]);
    assert_ne!(
        got[0].headers["webhook-signature"],
        signature(&old, &got[0])
    );
    chat_after_visit(&app, "https://shop.test/", json!({}), "447911000003").await;
    let got = crm.wait_accepted(2, WAIT).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(crm.accepted().len(), 2, "the held one sent once");
    verify(&new, &got[1]);
    assert_ne!(got[1].headers["webhook-id"], held);
    let all = settled(&app, &admin, &id, 2).await;
    assert!(all.iter().all(|d| d["state"] == "sent"), "{all:#?}");

    // Refusals, naming the problem; nothing changed by them.
    for (bad, says) in [
        (json!({"kind": "meta"}), "kind"),
        (json!({"endpoint": "ftp://crm.test/"}), "endpoint"),
        (json!({"events": {"lead": "x"}}), "lead"),
        (json!({"events": {}}), "events"),
        (json!({"secret": "plain"}), "secret"),
        (json!({"name": " "}), "name"),
        (json!({"colour": "red"}), "colour"),
    ] {
        let (status, answer) = edit(&app, &admin, &id, bad.clone()).await;
        assert_eq!(status, 400, "{bad}: {answer}");
        assert!(answer.to_string().contains(says), "{bad}: {answer}");
    }
    let unknown = uuid::Uuid::now_v7().to_string();
    assert_eq!(edit(&app, &admin, &unknown, json!({})).await.0, 404);
    assert_eq!(edit(&app, &admin, "nope", json!({})).await.0, 400);
    let operator = create_token(&app.store, &app.site, Role::Operator).await;
    assert_eq!(
        edit(&app, &operator, &id, json!({"enabled": false}))
            .await
            .0,
        403
    );
    let other = create_site(&app.store, "other", &["+44 7700 900999"]).await;
    let outsider = create_token(&app.store, &other, Role::Admin).await;
    assert_eq!(
        edit(&app, &outsider, &id, json!({"enabled": false}))
            .await
            .0,
        404
    );
    let listed = list(&app, &admin).await;
    assert_eq!(listed[0]["name"], "CRM 2");
    assert_eq!(listed[0]["enabled"], true);
}

async fn the_outbox_outlives_a_collector_that_never_sent_it(backend: Backend) {
    // A collector without a sender: the events are committed and wait in the outbox.
    let app = spawn_app_with(backend, |s| s.conversions_poll_ms = 0).await;
    let crm = FakeEndpoint::start();
    let admin = create_token(&app.store, &app.site, Role::Admin).await;
    let (id, _) = add(
        &app,
        &admin,
        json!({"kind": "webhook", "name": "CRM", "endpoint": crm.base}),
    )
    .await;
    let dialog = chat_after_visit(&app, "https://shop.test/", json!({}), "447911123456").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(crm.received().is_empty());
    assert_eq!(log(&app, &admin, &id).await[0]["state"], "pending");
    // Another collector on the same database sends it.
    app.another_collector(|s| s.conversions_poll_ms = 50).await;
    let got = crm.wait_accepted(1, WAIT).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].json()["data"]["dialog_id"], dialog);
}

async fn two_collectors_send_each_event_once(backend: Backend) {
    // Events wait in the outbox of a collector without a sender; then two collectors with
    // senders start on the same database and race for them.
    let app = spawn_app_with(backend, |s| s.conversions_poll_ms = 0).await;
    let crm = FakeEndpoint::start();
    let d = NewDestination {
        kind: DestinationKind::Webhook,
        name: "CRM".into(),
        endpoint: Some(crm.base.clone()),
        settings: Default::default(),
        secret: None,
        events: None,
    }
    .check(app.site.id.0)
    .unwrap();
    app.store.add_destination(&d).await.unwrap();
    const N: usize = 2000;
    for _ in 0..N {
        app.store
            .send_test(app.site.id, d.destination_id)
            .await
            .unwrap()
            .unwrap();
    }
    let start = Instant::now();
    for _ in 0..2 {
        app.another_collector(|s| s.conversions_poll_ms = 50).await;
    }
    let got = crm.wait_accepted(N, Duration::from_secs(60)).await;
    let took = start.elapsed();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut once: HashMap<String, usize> = HashMap::new();
    for r in crm.received() {
        *once.entry(r.headers["webhook-id"].clone()).or_default() += 1;
    }
    assert_eq!(got.len(), N);
    assert_eq!(once.len(), N);
    assert!(once.values().all(|n| *n == 1), "no event sent twice");
    println!(
        "two collectors delivered {N} events, each once, in {:.2} s: {:.0} events/s",
        took.as_secs_f64(),
        N as f64 / took.as_secs_f64()
    );
}

async fn offline_import_files_list_each_platforms_conversions(backend: Backend) {
    let app = app(backend).await;
    app.store
        .set_site_timezone(app.site.id, "Europe/Moscow")
        .await
        .unwrap();
    let admin = create_token(&app.store, &app.site, Role::Admin).await;
    let analyst = create_token(&app.store, &app.site, Role::Analyst).await;
    let google = "https://shop.test/oak-table?gclid=Cj0KCQiA2-test&utm_source=google";
    let yandex = "https://shop.test/oak-table?yclid=7291001&utm_source=yandex";
    let a = chat_after_visit(&app, google, json!({}), "447911000001").await;
    let b = chat_after_visit(
        &app,
        yandex,
        json!({"ym_client_id": "1700000000123456789"}),
        "447911000002",
    )
    .await;
    let c = chat_after_visit(&app, google, json!({"ads": false}), "447911000003").await;
    for id in [&a, &b, &c] {
        won(&app, id, &admin).await;
    }
    let today = chrono::Utc::now().date_naive();
    let period = format!(
        "from={}&to={}",
        today.pred_opt().unwrap(),
        today.succ_opt().unwrap()
    );
    let get = |path: String, token: &str| {
        let url = format!("{}/api/v1/conversions/export/{path}", app.base);
        app.http.get(url).bearer_auth(token.to_owned()).send()
    };
    let text = |r: reqwest::Response| async move {
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
        r.text().await.unwrap()
    };
    let file = text(
        get(format!("google-ads?{period}&name=Chat%20won"), &analyst)
            .await
            .unwrap(),
    )
    .await;
    let lines: Vec<&str> = file.lines().collect();
    assert_eq!(lines[0], "Parameters:TimeZone=Europe/Moscow");
    assert_eq!(
        lines[1],
        "Google Click ID,Conversion Name,Conversion Time,Conversion Value,Conversion Currency"
    );
    assert_eq!(lines.len(), 3, "only the consenting gclid visit: {file}");
    let row: Vec<&str> = lines[2].split(',').collect();
    assert_eq!(
        (row[0], row[1], row[3], row[4]),
        ("Cj0KCQiA2-test", "Chat won", "1500.50", "USD")
    );
    // The time is Moscow's (UTC+3) wall clock of the won change, within the last minute.
    let at = chrono::NaiveDateTime::parse_from_str(row[2], "%Y-%m-%d %H:%M:%S").unwrap();
    let moscow = chrono::Utc::now().naive_utc() + chrono::Duration::hours(3);
    assert!((moscow - at).num_seconds().abs() < 120, "{at} vs {moscow}");

    let file = text(
        get(format!("yandex-metrica?{period}&name=chat"), &admin)
            .await
            .unwrap(),
    )
    .await;
    let lines: Vec<&str> = file.lines().collect();
    assert_eq!(lines[0], "ClientId,Yclid,Target,DateTime,Price,Currency");
    assert_eq!(lines.len(), 2, "{file}");
    assert!(
        lines[1].starts_with("1700000000123456789,7291001,chat,"),
        "{file}"
    );
    assert!(lines[1].ends_with(",1500.50,USD"), "{file}");

    let started = text(
        get(
            format!("google-ads?{period}&name=Chat&event=started"),
            &analyst,
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(started.lines().count(), 3, "{started}");
    assert!(
        started.lines().nth(2).unwrap().ends_with(",,"),
        "no value: {started}"
    );
    let lead = text(
        get(
            format!("google-ads?{period}&name=Lead&event=stage:lead"),
            &analyst,
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(
        lead.lines().count(),
        2,
        "nobody passed through lead: {lead}"
    );

    for (path, status) in [
        (format!("google-ads?{period}&name=x&event=stage:nope"), 404),
        (format!("bing?{period}&name=x"), 400),
        (format!("google-ads?{period}&name=x&event=lead"), 400),
        (
            "google-ads?from=2026-01-02&to=2026-01-01&name=x".to_owned(),
            400,
        ),
        (format!("google-ads?{period}&name=%20"), 400),
    ] {
        assert_eq!(
            get(path.clone(), &analyst).await.unwrap().status(),
            status,
            "{path}"
        );
    }
    assert_eq!(
        get(format!("google-ads?{period}&name=x"), &app.token)
            .await
            .unwrap()
            .status(),
        403
    );
    // Another site's analyst gets its own site's (empty) file.
    let other = create_site(&app.store, "other", &["+44 7700 900999"]).await;
    let outsider = create_token(&app.store, &other, Role::Analyst).await;
    let theirs = text(
        get(format!("google-ads?{period}&name=x"), &outsider)
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(theirs.lines().count(), 2, "{theirs}");
}

/// `chatrail conversions` on the real binary, against the served database.
async fn the_cli_adds_lists_and_removes_destinations(backend: Backend) {
    let app = app(backend).await;
    let crm = FakeEndpoint::start();
    let run = |args: &[&str], secret: Option<&str>| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_chatrail-for-tests"));
        cmd.arg("conversions")
            .args(args)
            .args(["--database-url", &app.database_url, "--site", "shop"])
            .env_remove("CHATRAIL_DESTINATION_SECRET");
        if let Some(s) = secret {
            cmd.env("CHATRAIL_DESTINATION_SECRET", s);
        }
        let out = cmd.output().unwrap();
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        (out.status.success(), text(&out.stdout), text(&out.stderr))
    };
    let (ok, out, err) = run(
        &[
            "add",
            "--kind",
            "webhook",
            "--name",
            "CRM",
            "--endpoint",
            &crm.base,
        ],
        None,
    );
    assert!(ok, "{out}{err}");
    let added: Value = serde_json::from_str(&out).unwrap();
    let secret = added["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    let meta = [
        "add",
        "--kind",
        "meta",
        "--name",
        "Meta",
        "--setting",
        "dataset_id=123",
        "--event",
        "won=Purchase",
    ];
    let (ok, out, err) = run(&meta, Some("EAAB-from-the-environment"));
    assert!(ok, "{out}{err}");
    let (ok, listed, _) = run(&["list"], None);
    assert!(ok);
    let listed: Value = serde_json::from_str(&listed).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 2, "{listed}");
    assert!(!listed.to_string().contains("EAAB") && !listed.to_string().contains(&secret[6..]));
    assert_eq!(listed[1]["events"], json!({"won": "Purchase"}));
    // What the CLI added is what the sender uses.
    chat_after_visit(&app, "https://shop.test/", json!({}), "447911123456").await;
    let got = crm.wait_accepted(1, WAIT).await;
    assert_eq!(got.len(), 1);
    verify(&secret, &got[0]);
    // Refusals name the problem and change nothing.
    for (args, says) in [
        (vec!["add", "--kind", "sms", "--name", "x"], "--kind"),
        (
            vec![
                "add",
                "--kind",
                "meta",
                "--name",
                "x",
                "--setting",
                "dataset_id",
            ],
            "NAME=VALUE",
        ),
        (
            vec![
                "add",
                "--kind",
                "ga4",
                "--name",
                "x",
                "--setting",
                "measurement_id=G-1",
            ],
            "secret",
        ),
    ] {
        let (ok, out, err) = run(&args, None);
        assert!(!ok && err.contains(says), "{args:?}: {out}{err}");
    }
    let id = added["destination_id"].as_str().unwrap();
    let (ok, out, err) = run(&["remove", "--id", id], None);
    assert!(ok && out.contains(id), "{out}{err}");
    let (ok, _, err) = run(&["remove", "--id", id], None);
    assert!(!ok && err.contains("no destination"), "{err}");
    let (_, left) = call(
        &app,
        reqwest::Method::GET,
        "/conversions/destinations",
        &create_token(&app.store, &app.site, Role::Admin).await,
        None,
    )
    .await;
    assert_eq!(left.as_array().map(Vec::len), Some(1));
}

//! Probable matches: exactly one unclaimed click on the number shortly before a chat without
//! code or referral; anything ambiguous stays unattributed.

use chatrail_collector::enrich::client_ip::TrustedProxies;
use chatrail_tests::app::{spawn_app, spawn_app_with, whatsapp_text, Backend, TestApp};
use chatrail_tests::inbound::{fixture, Browsing, FIXTURE_T};
use chatrail_tests::on_both_backends;
use serde_json::Value;

on_both_backends!(
    a_single_recent_click_makes_a_probable_match,
    two_candidates_or_an_old_click_leave_the_chat_unattributed,
    claimed_sessions_are_not_candidates,
    a_later_code_takes_the_session_back_or_confirms_it,
    the_window_is_configurable,
    forged_clicks_neither_take_nor_void_a_probable_match,
    a_flood_of_made_up_sessions_neither_takes_nor_voids_a_probable_match,
    a_click_from_another_client_than_its_visit_is_no_candidate,
    the_collector_tells_clients_apart_by_a_salted_hash_of_address_and_browser,
);

/// Click beacons need nothing but the public site key. Sent without a visit (the cheap
/// forgery: many sessions, one click each, the attacker's page), they are stored as
/// clicks but are no candidates: the visitor's real click still makes the match.
async fn forged_clicks_neither_take_nor_void_a_probable_match(backend: Backend) {
    let app = spawn_app(backend).await;
    clicked(&app, "https://shop.test/?utm_source=fb", MSG_MS - 120_000).await;
    for i in 0..5 {
        app.click(&Browsing::random(), MSG_MS - 30_000 + i * 1000)
            .await;
    }
    let card = chat(
        &app,
        "w-forged",
        "5511987654321",
        "hello, is it available?",
        0,
    )
    .await;
    assert_eq!(card["match"]["kind"], "probable", "{card:#}");
    assert_eq!(card["session"]["utm_source"], "fb");
}

/// The cheap forgery with visits: one client (one address and browser) makes up sessions,
/// each a visit and a click, in the window. Each alone would be a candidate; from one
/// client, three sessions within minutes are a flood, and count for nothing.
async fn a_flood_of_made_up_sessions_neither_takes_nor_voids_a_probable_match(backend: Backend) {
    let app = spawn_app(backend).await;
    let real = Browsing::random().from_client(1);
    app.visit(&real, "https://shop.test/?utm_source=fb", MSG_MS - 300_000)
        .await;
    app.click(&real, MSG_MS - 120_000).await;
    for i in 0..3 {
        let forged = Browsing::random().from_client(666);
        app.visit(
            &forged,
            "https://shop.test/?utm_source=forger",
            MSG_MS - 60_000 + i * 1000,
        )
        .await;
        app.click(&forged, MSG_MS - 30_000 + i * 1000).await;
    }
    let card = chat(&app, "w-flood", "5511987654321", "hello?", 0).await;
    assert_eq!(card["match"]["kind"], "probable", "{card:#}");
    assert_eq!(card["session"]["utm_source"], "fb");

    // One made-up session alone is still a candidate: beside the real click it makes the
    // chat ambiguous (what a single forger can still do; see the README).
    let app = spawn_app(backend).await;
    app.visit(&real, "https://shop.test/?utm_source=fb", MSG_MS - 300_000)
        .await;
    app.click(&real, MSG_MS - 120_000).await;
    let forged = Browsing::random().from_client(666);
    app.visit(
        &forged,
        "https://shop.test/?utm_source=forger",
        MSG_MS - 60_000,
    )
    .await;
    app.click(&forged, MSG_MS - 30_000).await;
    let card = chat(&app, "w-one", "5511987654321", "hello?", 0).await;
    assert_eq!(card["match"]["kind"], "none", "{card:#}");
}

/// A click sent from another client than its session's visit (someone replaying a session
/// id they saw) is no candidate.
async fn a_click_from_another_client_than_its_visit_is_no_candidate(backend: Backend) {
    let app = spawn_app(backend).await;
    let b = Browsing::random().from_client(1);
    app.visit(&b, "https://shop.test/?utm_source=fb", MSG_MS - 300_000)
        .await;
    app.click(&b.clone().from_client(2), MSG_MS - 120_000).await;
    let card = chat(&app, "w-other", "5511987654321", "hello?", 0).await;
    assert_eq!(card["match"]["kind"], "none", "{card:#}");
}

/// Over HTTP, as browsers send them: the collector hashes each beacon's address (forwarded
/// by a trusted proxy) and user agent under the day's salt, so a flooding address is told
/// apart from the visitor, and no address is stored.
async fn the_collector_tells_clients_apart_by_a_salted_hash_of_address_and_browser(
    backend: Backend,
) {
    let app = spawn_app_with(backend, |s| {
        s.trusted_proxies = "127.0.0.1/32".parse::<TrustedProxies>().unwrap();
    })
    .await;
    let send = |b: Browsing, ip: &'static str, landing: &'static str| {
        let app = &app;
        async move {
            let beacons = [
                (
                    "visit",
                    serde_json::json!({"site": "shop", "visitor": b.visitor,
                    "session": b.session, "code": b.code, "url": landing}),
                ),
                (
                    "click",
                    serde_json::json!({"site": "shop", "visitor": b.visitor,
                    "session": b.session, "code": b.code, "page": landing,
                    "number": "79001234567", "kind": "wa.me"}),
                ),
            ];
            for (kind, body) in beacons {
                let ua = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X)";
                let res = app.beacon_from(kind, &body, ua, ip).await;
                assert_eq!(res.status(), 202, "{kind} from {ip}");
            }
        }
    };
    send(
        Browsing::random(),
        "198.51.100.1",
        "https://shop.test/?utm_source=fb",
    )
    .await;
    for _ in 0..3 {
        send(
            Browsing::random(),
            "203.0.113.66",
            "https://shop.test/?utm_source=forger",
        )
        .await;
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let body = whatsapp_text("w-http", "5511987654321", "Someone", "hello?", now + 1);
    let report: Value = app.post_whatsapp(&body).await.json().await.unwrap();
    let card = app.card(report["dialogs"][0].as_str().unwrap()).await;
    assert_eq!(card["match"]["kind"], "probable", "{card:#}");
    assert_eq!(card["session"]["utm_source"], "fb");

    // Two clients, each the same on its session and its clicks; one salt, today's.
    let clients: Vec<(i64, i64)> = app
        .db
        .fetch_all(
            "SELECT s.client, c.client FROM sessions s JOIN clicks c \
             ON c.site_id = s.site_id AND c.session_id = s.session_id",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(clients.len(), 4);
    assert!(clients.iter().all(|(s, c)| s == c), "{clients:?}");
    let distinct: std::collections::HashSet<i64> = clients.iter().map(|c| c.0).collect();
    assert_eq!(distinct.len(), 2, "{clients:?}");
    let salts: Vec<(i64,)> = app
        .db
        .fetch_all("SELECT day FROM client_salts", vec![])
        .await
        .unwrap();
    assert_eq!(salts, [(now / 86_400,)]);
}

const MSG_MS: i64 = FIXTURE_T * 1000;

/// Posts a codeless text from `phone` at the fixture time plus `offset_s`.
async fn chat(app: &TestApp, id: &str, phone: &str, text: &str, offset_s: i64) -> Value {
    let body = whatsapp_text(id, phone, "Someone", text, FIXTURE_T + offset_s);
    let report: Value = app.post_whatsapp(&body).await.json().await.unwrap();
    let dialog = report["dialogs"][0].as_str().expect("stored").to_owned();
    app.card(&dialog).await
}

async fn clicked(app: &TestApp, landing: &str, click_ms: i64) -> Browsing {
    let b = Browsing::random();
    app.visit(&b, landing, click_ms - 60_000).await;
    app.click(&b, click_ms).await;
    b
}

async fn a_single_recent_click_makes_a_probable_match(backend: Backend) {
    let app = spawn_app(backend).await;
    clicked(&app, "https://shop.test/?utm_source=fb", MSG_MS - 120_000).await;
    let card = chat(&app, "w1", "5511987654321", "hello, is it available?", 0).await;
    assert_eq!(card["match"]["kind"], "probable");
    assert_eq!(
        card["match"]["confidence"], 0.82,
        "two minutes into a ten-minute window"
    );
    assert!(card["match"]["code"].is_null());
    assert_eq!(card["session"]["utm_source"], "fb");
    assert_eq!(card["page_of_contact"], "https://shop.test/oak-table");
    let kinds: Vec<Value> = app
        .dialogs()
        .await
        .iter()
        .map(|d| d["match_kind"].clone())
        .collect();
    assert_eq!(
        kinds,
        vec![Value::from("probable")],
        "reported apart from exact"
    );
}

async fn two_candidates_or_an_old_click_leave_the_chat_unattributed(backend: Backend) {
    let app = spawn_app(backend).await;
    clicked(&app, "https://shop.test/a", MSG_MS - 120_000).await;
    clicked(&app, "https://shop.test/b", MSG_MS - 30_000).await;
    let card = chat(&app, "w1", "5511987654321", "hi", 0).await;
    assert_eq!(
        card["match"]["kind"], "none",
        "two visitors clicked: ambiguous"
    );
    assert!(card["session"].is_null());

    let app = spawn_app(backend).await;
    clicked(&app, "https://shop.test/a", MSG_MS - 11 * 60_000).await;
    let card = chat(&app, "w1", "5511987654321", "hi", 0).await;
    assert_eq!(
        card["match"]["kind"], "none",
        "eleven minutes is outside the window"
    );

    // A chat that came from an ad is the ad's, even with one click around.
    let app = spawn_app(backend).await;
    clicked(&app, "https://shop.test/a", MSG_MS + 500_000).await;
    let report: Value = app
        .post_whatsapp(&fixture("whatsapp/referral.json"))
        .await
        .json()
        .await
        .unwrap();
    let card = app.card(report["dialogs"][0].as_str().unwrap()).await;
    assert_eq!(card["match"]["kind"], "referral");
}

async fn claimed_sessions_are_not_candidates(backend: Backend) {
    let app = spawn_app(backend).await;
    let coded = clicked(&app, "https://shop.test/a", MSG_MS - 90_000).await;
    clicked(&app, "https://shop.test/b", MSG_MS - 60_000).await;
    let exact = chat(
        &app,
        "w1",
        "5511911110000",
        &format!("hi {}", coded.code),
        -10,
    )
    .await;
    assert_eq!(exact["match"]["kind"], "exact");
    let card = chat(&app, "w2", "5511922220000", "hello", 0).await;
    assert_eq!(
        card["match"]["kind"], "probable",
        "the coded session is taken"
    );
    assert_eq!(card["session"]["landing_page"], "https://shop.test/b");
    // A third chat finds no unclaimed click: unattributed.
    let third = chat(&app, "w3", "5511933330000", "hello", 20).await;
    assert_eq!(third["match"]["kind"], "none");
}

async fn a_later_code_takes_the_session_back_or_confirms_it(backend: Backend) {
    let app = spawn_app(backend).await;
    let b = clicked(&app, "https://shop.test/a", MSG_MS - 60_000).await;
    let wrong = chat(&app, "w1", "5511911110000", "hello", 0).await;
    assert_eq!(wrong["match"]["kind"], "probable");
    // The clicker's own message, with the code, arrives later from another phone.
    let right = chat(&app, "w2", "5511922220000", &format!("ref {}", b.code), 30).await;
    assert_eq!(right["match"]["kind"], "exact");
    let wrong = app.card(wrong["dialog_id"].as_str().unwrap()).await;
    assert_eq!(wrong["match"]["kind"], "none", "proved to be someone else");
    assert!(wrong["session"].is_null());

    let app = spawn_app(backend).await;
    let b = clicked(&app, "https://shop.test/a", MSG_MS - 60_000).await;
    let first = chat(&app, "w1", "5511911110000", "hello", 0).await;
    let confirmed = chat(
        &app,
        "w2",
        "5511911110000",
        &format!("my code {}", b.code),
        30,
    )
    .await;
    assert_eq!(confirmed["dialog_id"], first["dialog_id"]);
    assert_eq!(confirmed["match"]["kind"], "exact");
    assert_eq!(confirmed["match"]["code"], b.code.as_str());
    assert_eq!(confirmed["match"]["confidence"], 1.0);
}

async fn the_window_is_configurable(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.probable_window_minutes = 0).await;
    clicked(&app, "https://shop.test/a", MSG_MS - 60_000).await;
    let card = chat(&app, "w1", "5511987654321", "hi", 0).await;
    assert_eq!(
        card["match"]["kind"], "none",
        "0 turns probable matching off"
    );

    let app = spawn_app_with(backend, |s| s.probable_window_minutes = 30).await;
    clicked(&app, "https://shop.test/a", MSG_MS - 15 * 60_000).await;
    let card = chat(&app, "w1", "5511987654321", "hi", 0).await;
    assert_eq!(card["match"]["kind"], "probable");
    assert_eq!(card["match"]["confidence"], 0.7);
}

//! The visit beacon's analytics ids and advertising consent (issue 19) over HTTP: stored on
//! the session and shown on its source card, malformed ids refused naming the field.

use chatrail_tests::app::{spawn_app, whatsapp_text, Backend, TestApp};
use chatrail_tests::on_both_backends;
use serde_json::{json, Value};

use crate::beacons::{ids, post};

on_both_backends!(
    analytics_ids_and_ad_consent_reach_the_source_card,
    malformed_analytics_ids_are_refused_naming_the_field,
);

async fn accepted(app: &TestApp, path: &str, body: String) {
    assert_eq!(post(app, path, body).await.status(), 202);
}

/// The source card's session of dialog `id`.
async fn card_session(app: &TestApp, id: &str) -> Value {
    let card: Value = app
        .api_get(&format!("/api/v1/dialogs/{id}"))
        .await
        .json()
        .await
        .unwrap();
    card["session"].clone()
}

async fn analytics_ids_and_ad_consent_reach_the_source_card(backend: Backend) {
    let app = spawn_app(backend).await;
    let (visitor, session, code) = ids();
    let beacon = |extra: Value| {
        let mut v = json!({"site": "shop", "visitor": visitor, "session": session,
            "code": code.as_str(), "url": "https://shop.test/oak-table"});
        v.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        v.to_string()
    };
    let visit = beacon(json!({"ga_client_id": "123456789.1700000000",
        "ga_session_id": "1700000123", "ym_client_id": "1700000000123456789"}));
    accepted(&app, "/collect/visit", visit).await;
    app.assert_written(1).await;
    let text = format!("Is the oak table in stock? (ref {code})");
    let chat = whatsapp_text("wamid.ad1", "447911123456", "Tom", &text, 1_763_806_200);
    let report: Value = app.post_whatsapp(&chat).await.json().await.unwrap();
    let id = report["dialogs"][0].as_str().unwrap().to_owned();
    let s = card_session(&app, &id).await;
    assert_eq!(s["ga_client_id"], "123456789.1700000000");
    assert_eq!(s["ga_session_id"], "1700000123");
    assert_eq!(s["ym_client_id"], "1700000000123456789");
    assert_eq!(s["ads_consent"], true);

    // Withdrawn on the next page (other ids there: the first stay), granted again, then
    // withdrawn by the click.
    let denied = beacon(json!({"ads": false, "ga_client_id": "9.9", "ym_client_id": "9"}));
    accepted(&app, "/collect/visit", denied).await;
    app.assert_written(2).await;
    let s = card_session(&app, &id).await;
    assert_eq!(s["ads_consent"], false);
    assert_eq!(s["ga_client_id"], "123456789.1700000000");
    assert_eq!(s["ym_client_id"], "1700000000123456789");
    accepted(&app, "/collect/visit", beacon(json!({"ads": true}))).await;
    app.assert_written(3).await;
    assert_eq!(card_session(&app, &id).await["ads_consent"], true);
    let click = json!({"site": "shop", "visitor": visitor, "session": session,
        "code": code.as_str(), "page": "https://shop.test/oak-table", "number": "79001234567",
        "kind": "wa.me", "ads": false});
    accepted(&app, "/collect/click", click.to_string()).await;
    app.assert_written(4).await;
    assert_eq!(card_session(&app, &id).await["ads_consent"], false);
}

async fn malformed_analytics_ids_are_refused_naming_the_field(backend: Backend) {
    let app = spawn_app(backend).await;
    let (visitor, session, code) = ids();
    let with = |key: &str, value: Value| {
        let mut v = json!({"site": "shop", "visitor": visitor, "session": session,
            "code": code.as_str(), "url": "https://shop.test/"});
        v[key] = value;
        v.to_string()
    };
    let long = "1".repeat(21);
    let cases: Vec<(String, &str)> = vec![
        (
            with("ga_client_id", json!("GA1.1.123456789.1700000000")),
            "`ga_client_id`",
        ),
        (with("ga_client_id", json!("123456789")), "`ga_client_id`"),
        (with("ga_client_id", json!("1.2.3")), "`ga_client_id`"),
        (
            with("ga_client_id", json!(format!("{long}.1"))),
            "`ga_client_id`",
        ),
        (with("ga_client_id", json!("<script>.1")), "`ga_client_id`"),
        (
            with("ga_session_id", json!("s1700000000")),
            "`ga_session_id`",
        ),
        (with("ga_session_id", json!(long)), "`ga_session_id`"),
        (
            with("ym_client_id", json!("17000000001234a")),
            "`ym_client_id`",
        ),
        (with("ym_client_id", json!(" 1")), "`ym_client_id`"),
        (
            with("ym_client_id", json!(1700000000)),
            "invalid beacon JSON",
        ),
        (with("ads", json!("denied")), "invalid beacon JSON"),
        (with("ads", json!(0)), "invalid beacon JSON"),
    ];
    for (body, needle) in cases {
        let resp = post(&app, "/collect/visit", body.clone()).await;
        assert_eq!(resp.status(), 400, "{body:.160}");
        let msg = resp.json::<Value>().await.unwrap()["error"].to_string();
        assert!(msg.contains(needle), "{msg} should mention {needle}");
    }
    let click = json!({"site": "shop", "visitor": visitor, "session": session,
        "code": code.as_str(), "page": "https://shop.test/", "number": "79001234567",
        "kind": "wa.me", "ads": "no"});
    assert_eq!(
        post(&app, "/collect/click", click.to_string())
            .await
            .status(),
        400
    );
    assert_eq!(
        app.ingest_counter("accepted").await,
        0,
        "nothing refused was queued"
    );
    // Empty ids (and null) are no ids: the visit is stored without them.
    let empty = json!({"site": "shop", "visitor": visitor, "session": session,
        "code": code.as_str(), "url": "https://shop.test/", "ga_client_id": "",
        "ga_session_id": null, "ym_client_id": "", "ads": null});
    accepted(&app, "/collect/visit", empty.to_string()).await;
    app.assert_written(1).await;
}

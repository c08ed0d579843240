//! The generic JSON endpoint `POST /api/v1/messages`.

use chatrail_collector::domain::token::Role;
use chatrail_tests::app::{create_site, create_token, spawn_app, Backend};
use chatrail_tests::inbound::{fixture, Browsing, FIXTURE_CODE};
use chatrail_tests::on_both_backends;
use serde_json::{json, Value};

on_both_backends!(
    a_posted_message_is_matched_and_deduplicated,
    only_operators_and_admins_of_the_site_may_post,
    invalid_messages_get_400_naming_the_field,
);

async fn a_posted_message_is_matched_and_deduplicated(backend: Backend) {
    let app = spawn_app(backend).await;
    let b = Browsing::with_code(FIXTURE_CODE);
    app.browse_before_fixtures(&b, "https://shop.test/?utm_source=ig")
        .await;
    let body = fixture("generic/message.json");
    let first: Value = app.post_message(&body).await.json().await.unwrap();
    assert_eq!(first["status"], "stored");
    let again: Value = app.post_message(&body).await.json().await.unwrap();
    assert_eq!(again["status"], "duplicate");
    let card = app.only_card().await;
    assert_eq!(card["dialog_id"], first["dialog_id"]);
    assert_eq!(card["match"]["kind"], "exact");
    assert_eq!(card["started_at"], "2025-11-22T10:00:00.000Z");
    assert_eq!(card["business_number"], "79001234567");
    assert_eq!(card["contact"]["channel"], "instagram");
    assert_eq!(card["contact"]["provider_user_id"], "17841400000000001");
    assert_eq!(card["contact"]["username"], "ana.souza");
    assert_eq!(card["session"]["utm_source"], "ig");

    // The same message id on another channel is another message.
    let other: Value = serde_json::from_str(&body).unwrap();
    let mut other = other.as_object().unwrap().clone();
    other.insert("channel".into(), json!("viber"));
    let resp: Value = app
        .post_message(&Value::Object(other).to_string())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(resp["status"], "stored");

    // A referral may be passed on too.
    let with_ad = json!({"channel": "whatsapp", "message_id": "crm-1", "business_number": "79001234567",
        "sender_phone": "+44 7911 123456", "text": "info?", "referral": {"source_id": "1202", "headline": "Oak"}});
    let resp: Value = app
        .post_message(&with_ad.to_string())
        .await
        .json()
        .await
        .unwrap();
    let card = app.card(resp["dialog_id"].as_str().unwrap()).await;
    assert_eq!(card["match"]["kind"], "referral");
    assert_eq!(card["referral"]["source_id"], "1202");
    assert_eq!(card["contact"]["phone"], "447911123456");
}

async fn only_operators_and_admins_of_the_site_may_post(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = fixture("generic/message.json");
    let post = |token: Option<String>| {
        let mut request = app
            .http
            .post(format!("{}/api/v1/messages", app.base))
            .body(body.clone());
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    assert_eq!(post(None).await.unwrap().status(), 401);
    let analyst = create_token(&app.store, &app.site, Role::Analyst).await;
    assert_eq!(post(Some(analyst)).await.unwrap().status(), 403);
    // Another site's admin cannot post to this site's number.
    let other = create_site(&app.store, "other", &["+44 7700 900123"]).await;
    let outsider = create_token(&app.store, &other, Role::Admin).await;
    let resp = post(Some(outsider)).await.unwrap();
    assert_eq!(resp.status(), 400);
    assert!(app.dialogs().await.is_empty());
    let admin = create_token(&app.store, &app.site, Role::Admin).await;
    assert_eq!(post(Some(admin)).await.unwrap().status(), 200);
}

async fn invalid_messages_get_400_naming_the_field(backend: Backend) {
    let app = spawn_app(backend).await;
    let base: Value = serde_json::from_str(&fixture("generic/message.json")).unwrap();
    let with = |key: &str, value: Value| {
        let mut m = base.as_object().unwrap().clone();
        if value.is_null() {
            m.remove(key);
        } else {
            m.insert(key.into(), value);
        }
        Value::Object(m).to_string()
    };
    let cases = [
        ("channel", with("channel", json!("Insta gram"))),
        ("message_id", with("message_id", json!(""))),
        (
            "business_number",
            with("business_number", json!("+1 555 000 1111")),
        ),
        ("sender_id", with("sender_id", Value::Null)),
        ("sent_at", with("sent_at", json!("yesterday"))),
        ("sent_at", with("sent_at", json!("2999-01-01T00:00:00Z"))),
        ("sent_at", with("sent_at", json!("0001-01-01T00:00:00Z"))),
        ("sender_phone", with("sender_phone", json!("call me"))),
        ("sender", with("sender", json!("ana"))),
        ("channel", with("channel", Value::Null)),
        ("JSON", "{".into()),
    ];
    for (what, body) in cases {
        let resp = app.post_message(&body).await;
        assert_eq!(resp.status(), 400, "{what}: {body}");
        let err: Value = resp.json().await.unwrap();
        assert!(
            err["error"].as_str().unwrap().contains(what),
            "{what}: {err}"
        );
    }
    assert!(app.dialogs().await.is_empty());
}

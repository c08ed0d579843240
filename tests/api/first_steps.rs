//! `GET /api/v1/site/first-steps`, the getting-started checklist's data: nothing on a fresh
//! site; the newest visit, click and message (per provider) as they arrive, and the first
//! dialog; every provider's set-up; another site's token sees none of it.

use chatrail_collector::domain::token::Role;
use chatrail_tests::app::{create_site, create_token, spawn_app, whatsapp_text, Backend, TestApp};
use chatrail_tests::inbound::Browsing;
use chatrail_tests::on_both_backends;
use serde_json::{json, Value};

on_both_backends!(first_steps_show_what_the_site_has_seen_and_only_its_own);

async fn steps(app: &TestApp, token: &str) -> Value {
    let resp = app
        .http
        .get(format!("{}/api/v1/site/first-steps", app.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    resp.json().await.unwrap()
}

fn rfc3339(ms: i64) -> String {
    chatrail_collector::domain::rfc3339_ms(ms)
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

async fn first_steps_show_what_the_site_has_seen_and_only_its_own(backend: Backend) {
    let app = spawn_app(backend).await;
    // A fresh site: nothing seen; the test site has the WhatsApp, Twilio and Telegram
    // secrets, and the messages API needs none.
    let webhooks = |whatsapp: Value| {
        json!([
            {"provider": "whatsapp", "configured": true, "message_at": whatsapp},
            {"provider": "twilio", "configured": true, "message_at": null},
            {"provider": "telegram", "configured": true, "message_at": null},
            {"provider": "api", "configured": true, "message_at": null},
        ])
    };
    let nothing = json!({"visit_at": null, "click_at": null, "webhooks": webhooks(Value::Null),
        "dialog_at": null});
    assert_eq!(steps(&app, &app.token).await, nothing);

    // Two visits and a click: the newest of each.
    let t = 1_764_000_000_000;
    let (a, b) = (Browsing::random(), Browsing::random());
    app.visit(&b, "https://shop.test/", t + 5_000).await;
    app.visit(&a, "https://shop.test/", t).await;
    app.click(&a, t + 1_000).await;
    let seen = steps(&app, &app.token).await;
    assert_eq!(seen["visit_at"], rfc3339(t + 5_000), "{seen}");
    assert_eq!(seen["click_at"], rfc3339(t + 1_000), "{seen}");
    assert_eq!(seen["dialog_at"], Value::Null, "{seen}");

    // A webhook's message: when it was received, and the dialog it started.
    let before = now_ms();
    let body = whatsapp_text("wamid.first-1", "447700900555", "Ann", "Hi", t / 1000 + 60);
    assert_eq!(app.post_whatsapp(&body).await.status(), 200);
    let after = now_ms();
    let seen = steps(&app, &app.token).await;
    let at = |v: &Value| {
        chrono::DateTime::parse_from_rfc3339(v.as_str().expect("a time"))
            .unwrap()
            .timestamp_millis()
    };
    let received = at(&seen["webhooks"][0]["message_at"]);
    assert!((before - 1..=after + 1).contains(&received), "{seen}");
    assert_eq!(
        seen["webhooks"].as_array().unwrap()[1..],
        webhooks(Value::Null).as_array().unwrap()[1..]
    );
    assert_eq!(seen["dialog_at"], rfc3339(t + 60_000), "{seen}");

    // Another site's token, and a site without secrets: nothing of this site's.
    let other = create_site(&app.store, "other", &["+44 7700 900777"]).await;
    let theirs = create_token(&app.store, &other, Role::Analyst).await;
    let seen = steps(&app, &theirs).await;
    for k in ["visit_at", "click_at", "dialog_at"] {
        assert_eq!(
            seen[k],
            Value::Null,
            "another site sees only its own: {seen}"
        );
    }
    for w in seen["webhooks"].as_array().unwrap() {
        assert_eq!(w["message_at"], Value::Null, "{seen}");
    }
    // Its own set-up: no Telegram bot.
    assert_eq!(seen["webhooks"][2]["configured"], false, "{seen}");
    // No token, or an unknown one.
    let resp = app
        .http
        .get(format!("{}/api/v1/site/first-steps", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    let error: Value = resp.json().await.unwrap();
    assert!(error["error"].is_string(), "{error}");
}

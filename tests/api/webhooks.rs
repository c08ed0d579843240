//! WhatsApp Cloud API webhooks: handshake, signatures, redeliveries, dialogs.

use chatrail_tests::app::{spawn_app, whatsapp_text, Backend, VERIFY_TOKEN};
use chatrail_tests::on_both_backends;
use serde_json::Value;

on_both_backends!(
    the_verification_handshake_echoes_the_challenge,
    bad_signatures_are_refused_and_store_nothing,
    malformed_signed_bodies_get_400,
    a_redelivered_webhook_makes_one_dialog,
    messages_to_untracked_numbers_are_skipped,
);

async fn the_verification_handshake_echoes_the_challenge(backend: Backend) {
    let app = spawn_app(backend).await;
    let url = |token: &str| {
        format!(
            "{}/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token={token}&hub.challenge=1158201444",
            app.base
        )
    };
    let ok = app.http.get(url(VERIFY_TOKEN)).send().await.unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.text().await.unwrap(), "1158201444");
    let bad = app.http.get(url("guess")).send().await.unwrap();
    assert_eq!(bad.status(), 403);
    assert!(bad.json::<Value>().await.unwrap()["error"]
        .as_str()
        .unwrap()
        .contains("verify_token"));
    let no_mode = app
        .http
        .get(format!("{}/webhooks/whatsapp", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(no_mode.status(), 400);
}

async fn bad_signatures_are_refused_and_store_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = whatsapp_text("wamid.x", "5511987654321", "Ana", "hi", 1_763_805_600);
    let forged = app.post_whatsapp_signed(&body, "not-the-secret").await;
    assert_eq!(forged.status(), 401);
    assert!(forged.json::<Value>().await.unwrap()["error"]
        .as_str()
        .unwrap()
        .contains("signature"));
    let unsigned = app
        .http
        .post(format!("{}/webhooks/whatsapp", app.base))
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), 401);
    // A body altered after signing (re-serialised JSON) fails too.
    let signed_other = whatsapp_text("wamid.x", "5511987654321", "Ana", "hi!", 1_763_805_600);
    let resp = app
        .http
        .post(format!("{}/webhooks/whatsapp", app.base))
        .header(
            "x-hub-signature-256",
            chatrail_collector::providers::signature::hub_signature(
                chatrail_tests::app::APP_SECRET.as_bytes(),
                signed_other.as_bytes(),
            ),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    let list: Value = app.api_get("/api/v1/dialogs").await.json().await.unwrap();
    assert_eq!(list["dialogs"].as_array().unwrap().len(), 0);
}

async fn malformed_signed_bodies_get_400(backend: Backend) {
    let app = spawn_app(backend).await;
    for body in [
        "{",
        "[]",
        r#"{"object":"page","entry":[]}"#,
        r#"{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"messages":[{"id":5}]}}]}]}"#,
    ] {
        let resp = app.post_whatsapp(body).await;
        assert_eq!(resp.status(), 400, "{body}");
        let err: Value = resp.json().await.unwrap();
        assert!(!err["error"].as_str().unwrap().is_empty());
    }
}

async fn a_redelivered_webhook_makes_one_dialog(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = whatsapp_text("wamid.same", "5511987654321", "Ana", "hello", 1_763_805_600);
    let first: Value = app.post_whatsapp(&body).await.json().await.unwrap();
    let second: Value = app.post_whatsapp(&body).await.json().await.unwrap();
    assert_eq!(
        (first["stored"].as_u64(), first["duplicates"].as_u64()),
        (Some(1), Some(0))
    );
    assert_eq!(
        (second["stored"].as_u64(), second["duplicates"].as_u64()),
        (Some(0), Some(1))
    );
    let list: Value = app.api_get("/api/v1/dialogs").await.json().await.unwrap();
    assert_eq!(list["dialogs"].as_array().unwrap().len(), 1);
    assert_eq!(list["dialogs"][0]["kind"], "new");
    assert_eq!(list["dialogs"][0]["match_kind"], "none");
}

async fn messages_to_untracked_numbers_are_skipped(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = whatsapp_text("wamid.u", "5511987654321", "Ana", "hello", 1_763_805_600)
        .replace("221133445566778", "999")
        .replace("\"79001234567\"", "\"15550001111\"");
    let report: Value = app.post_whatsapp(&body).await.json().await.unwrap();
    assert_eq!(report["skipped"], 1);
    assert_eq!(report["stored"], 0);
}

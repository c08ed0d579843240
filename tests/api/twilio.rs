//! Twilio WhatsApp webhooks: signatures over the configured public URL, shapes, statuses.

use chatrail_collector::domain::provider::Provider;
use chatrail_collector::domain::site::{NewSite, SiteInput};
use chatrail_tests::app::{spawn_app, spawn_app_with, Backend, PUBLIC_URL, TWILIO_AUTH_TOKEN};
use chatrail_tests::inbound::{twilio_form, Browsing, FIXTURE_CODE};
use chatrail_tests::on_both_backends;
use serde_json::Value;

on_both_backends!(
    a_signed_message_is_matched_and_answered_with_empty_twiml,
    referral_fields_attribute_the_dialog_to_the_ad,
    buttons_and_status_callbacks_are_understood,
    signatures_over_anything_but_the_configured_url_are_refused,
    a_site_may_configure_its_exact_twilio_url,
    signed_but_malformed_requests_get_400,
);

async fn a_signed_message_is_matched_and_answered_with_empty_twiml(backend: Backend) {
    let app = spawn_app(backend).await;
    let b = Browsing::with_code(FIXTURE_CODE);
    app.visit(
        &b,
        "https://shop.test/?utm_source=newsletter",
        chatrail_collector::domain::now_ms(),
    )
    .await;
    let body = twilio_form("twilio/text_with_code.form");
    let resp = app.post_twilio(&body).await;
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/xml"));
    assert!(resp.text().await.unwrap().ends_with("<Response/>"));
    assert_eq!(app.post_twilio(&body).await.status(), 200, "a redelivery");
    let card = app.only_card().await;
    assert_eq!(card["match"]["kind"], "exact");
    assert_eq!(
        card["first_message"],
        "Is the oak table in stock? (ref K7Q2M9VA)"
    );
    assert_eq!(card["contact"]["phone"], "5511987654321");
    assert_eq!(card["contact"]["name"], "Ana Souza");
    assert_eq!(card["contact"]["channel"], "whatsapp");
    assert_eq!(card["business_number"], "79001234567");
    assert_eq!(card["session"]["utm_source"], "newsletter");
}

async fn referral_fields_attribute_the_dialog_to_the_ad(backend: Backend) {
    let app = spawn_app(backend).await;
    assert_eq!(
        app.post_twilio(&twilio_form("twilio/referral.form"))
            .await
            .status(),
        200
    );
    let card = app.only_card().await;
    assert_eq!(card["match"]["kind"], "referral");
    let r = &card["referral"];
    assert_eq!(r["source_id"], "120219876543210987");
    assert_eq!(r["headline"], "Chat with us");
    assert_eq!(r["media_type"], "image");
    assert!(r["image_url"].as_str().unwrap().contains("/Media/ME"));
    assert!(r["ctwa_clid"].as_str().unwrap().starts_with("ARAk"));
}

async fn buttons_and_status_callbacks_are_understood(backend: Backend) {
    let app = spawn_app(backend).await;
    app.post_twilio(&twilio_form("twilio/button.form")).await;
    let card = app.only_card().await;
    assert_eq!(card["first_message"], "Book Saturday");
    let resp = app
        .post_twilio(&twilio_form("twilio/status_delivered.form"))
        .await;
    assert_eq!(resp.status(), 200);
    let status = app
        .store
        .message_status(
            app.site.id,
            Provider::Twilio,
            "SMc0ffee00c0ffee00c0ffee00c0ffee00",
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(status.status, "delivered");
    assert_eq!(status.recipient.as_deref(), Some("5511987654321"));
    assert_eq!(
        app.dialogs().await.len(),
        1,
        "a status callback is not a chat"
    );
}

async fn signatures_over_anything_but_the_configured_url_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = twilio_form("twilio/text_with_code.form");
    let right_url = format!("{PUBLIC_URL}/webhooks/twilio");
    let local_url = format!("{}/webhooks/twilio", app.base);
    for (token, url) in [
        ("wrong-token", right_url.as_str()),
        (TWILIO_AUTH_TOKEN, local_url.as_str()),
        (
            TWILIO_AUTH_TOKEN,
            "http://chatrail.example.com/webhooks/twilio",
        ),
    ] {
        let resp = app.post_twilio_signed(&body, token, url).await;
        assert_eq!(resp.status(), 401, "{token} {url}");
        let err: Value = resp.json().await.unwrap();
        assert!(err["error"]
            .as_str()
            .unwrap()
            .contains("X-Twilio-Signature"));
    }
    let unsigned = app
        .http
        .post(format!("{}/webhooks/twilio", app.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), 401);
    // A body changed after signing fails too.
    let signed = twilio_form("twilio/button.form");
    let signature = chatrail_collector::providers::twilio::signature(
        TWILIO_AUTH_TOKEN,
        &right_url,
        &chatrail_collector::providers::twilio::Form::parse(signed.as_bytes()),
    );
    let tampered = app
        .http
        .post(format!("{}/webhooks/twilio", app.base))
        .header("x-twilio-signature", signature)
        .body(signed.replace("Book+Saturday", "Book+Sunday"))
        .send()
        .await
        .unwrap();
    assert_eq!(tampered.status(), 401);
    assert!(app.dialogs().await.is_empty());

    // Without CHATRAIL_PUBLIC_URL nothing can be verified: refused, never trusted.
    let unconfigured = spawn_app_with(backend, |s| s.public_url = None).await;
    assert_eq!(unconfigured.post_twilio(&body).await.status(), 401);
    assert!(unconfigured.dialogs().await.is_empty());
}

async fn a_site_may_configure_its_exact_twilio_url(backend: Backend) {
    let app = spawn_app(backend).await;
    let hook = "https://hooks.example.net/chatrail/twilio?site=oak#rc=2";
    let site = NewSite::parse(SiteInput {
        key: "oak".into(),
        numbers: vec!["+44 7700 900123".into()],
        twilio_auth_token: Some("oak-token".into()),
        twilio_webhook_url: Some(hook.into()),
        ..SiteInput::default()
    })
    .unwrap();
    let oak = app.store.create_site(&site).await.unwrap();
    let body = twilio_form("twilio/text_with_code.form").replace("79001234567", "447700900123");
    let resp = app
        .post_twilio_signed(
            &body,
            "oak-token",
            "https://hooks.example.net/chatrail/twilio?site=oak",
        )
        .await;
    assert_eq!(resp.status(), 200);
    let list = app
        .store
        .list_dialogs(
            oak.id,
            &chatrail_collector::storage::DialogListQuery {
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(list.len(), 1);
    assert!(app.dialogs().await.is_empty(), "the shop site got nothing");
    // The shop's token over the shop's URL cannot deliver to oak's number.
    let resp = app.post_twilio(&body.replace("SM5f2a", "SM5f2b")).await;
    assert_eq!(resp.status(), 200);
    assert!(app.dialogs().await.is_empty());
}

async fn signed_but_malformed_requests_get_400(backend: Backend) {
    let app = spawn_app(backend).await;
    let good = twilio_form("twilio/text_with_code.form");
    let cases = [
        ("MessageSid", good.replace("MessageSid=", "Ignored=")),
        (
            "From",
            good.replace("From=whatsapp%3A%2B5511987654321", "From=whatsapp%3Anobody")
                .replace("WaId=5511987654321", "WaId="),
        ),
        ("To", good.replace("To=", "Recipient=")),
    ];
    for (what, body) in cases {
        let resp = app.post_twilio(&body).await;
        assert_eq!(resp.status(), 400, "{what}");
        let err: Value = resp.json().await.unwrap();
        assert!(
            err["error"].as_str().unwrap().contains(what),
            "{what}: {err}"
        );
    }
    assert!(app.dialogs().await.is_empty());
}

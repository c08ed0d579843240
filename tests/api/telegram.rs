//! Telegram Bot API webhooks: the secret-token header, `/start <code>`, the Telegram user.

use chatrail_tests::app::{spawn_app, Backend, TestApp, TELEGRAM_BOT};
use chatrail_tests::inbound::{fixture, Browsing, FIXTURE_CODE, FIXTURE_T};
use chatrail_tests::on_both_backends;
use serde_json::Value;

on_both_backends!(
    a_start_payload_matches_and_the_contact_is_the_telegram_user,
    a_telegram_chat_finds_its_click_and_page_of_contact,
    a_telegram_chat_without_code_is_matched_as_probable,
    groups_captions_and_other_updates,
    the_secret_token_is_required_and_checked,
);

/// Posts the fixture `name` and reads the report.
async fn posted(app: &TestApp, name: &str) -> Value {
    app.post_telegram(&fixture(name))
        .await
        .json()
        .await
        .unwrap()
}

/// A session that landed from a Telegram ad five minutes before the fixtures' time and
/// clicked a link of `kind` to the bot, spelled `bot`, at `clicked_before_ms`.
async fn clicked_bot(app: &TestApp, b: &Browsing, kind: &str, bot: &str, clicked_before_ms: i64) {
    let t = FIXTURE_T * 1000;
    let landing = "https://shop.test/?utm_source=telegram-ads";
    app.visit(b, landing, t - 300_000).await;
    app.click_on(b, kind, bot, t - clicked_before_ms).await;
}

async fn a_start_payload_matches_and_the_contact_is_the_telegram_user(backend: Backend) {
    let app = spawn_app(backend).await;
    let b = Browsing::with_code(FIXTURE_CODE);
    app.browse_before_fixtures(&b, "https://shop.test/?utm_source=telegram-ads")
        .await;
    let start = fixture("telegram/start.json");
    let report: Value = app.post_telegram(&start).await.json().await.unwrap();
    assert_eq!(report["stored"], 1);
    let again: Value = app.post_telegram(&start).await.json().await.unwrap();
    assert_eq!(again["duplicates"], 1, "update_id deduplicates");
    let report = posted(&app, "telegram/text.json").await;
    assert_eq!(report["stored"], 1);
    let card = app.only_card().await;
    assert_eq!(card["match"]["kind"], "exact");
    assert_eq!(card["first_message"], "/start K7Q2M9VA");
    assert_eq!(card["business_number"], format!("@{TELEGRAM_BOT}"));
    assert_eq!(card["session"]["utm_source"], "telegram-ads");
    let contact = &card["contact"];
    assert_eq!(contact["channel"], "telegram");
    assert_eq!(contact["provider_user_id"], "5123456789");
    assert_eq!(contact["username"], "ana_souza");
    assert_eq!(contact["name"], "Ana Souza");
    assert!(contact["phone"].is_null());
}

async fn groups_captions_and_other_updates(backend: Backend) {
    let app = spawn_app(backend).await;
    let b = Browsing::with_code(FIXTURE_CODE);
    app.browse_before_fixtures(&b, "https://shop.test/").await;
    for name in ["telegram/start_group.json", "telegram/photo_caption.json"] {
        let report: Value = app
            .post_telegram(&fixture(name))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(report["stored"], 1, "{name}");
        let card = app.card(report["dialogs"][0].as_str().unwrap()).await;
        assert_eq!(card["match"]["kind"], "exact", "{name}");
    }
    let report = posted(&app, "telegram/edited_message.json").await;
    assert_eq!(report["skipped"], 1);
    assert_eq!(app.dialogs().await.len(), 2);
}

async fn the_secret_token_is_required_and_checked(backend: Backend) {
    let app = spawn_app(backend).await;
    let start = fixture("telegram/start.json");
    for secret in [None, Some("wrong"), Some("")] {
        let resp = app.post_telegram_with(&start, secret).await;
        assert_eq!(resp.status(), 401, "{secret:?}");
        let err: Value = resp.json().await.unwrap();
        assert!(err["error"]
            .as_str()
            .unwrap()
            .contains("X-Telegram-Bot-Api-Secret-Token"));
    }
    let unknown = app
        .http
        .post(format!("{}/webhooks/telegram/nope", app.base))
        .body(start.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    for body in [
        "{",
        "[]",
        r#"{"update_id":"x"}"#,
        r#"{"update_id":1,"message":{"message_id":1,"date":-5,"from":{"id":1,"first_name":"A"}}}"#,
    ] {
        let resp = app.post_telegram(body).await;
        assert_eq!(resp.status(), 400, "{body}");
    }
    assert!(app.dialogs().await.is_empty());
}

/// The snippet reports a bot as the link names it (`Chatrail_Shop_Bot`, without `@`); the
/// chat's business number is `@chatrail_shop_bot`. Both are one spelling once stored.
async fn a_telegram_chat_finds_its_click_and_page_of_contact(backend: Backend) {
    let app = spawn_app(backend).await;
    let b = Browsing::with_code(FIXTURE_CODE);
    let link_spelling = TELEGRAM_BOT.to_uppercase();
    clicked_bot(&app, &b, "t.me", &link_spelling, 240_000).await;
    let report = posted(&app, "telegram/start.json").await;
    assert_eq!(report["stored"], 1);
    let card = app.only_card().await;
    assert_eq!(card["match"]["kind"], "exact");
    assert_eq!(card["business_number"], format!("@{TELEGRAM_BOT}"));
    assert_eq!(
        card["page_of_contact"], "https://shop.test/oak-table",
        "the click on the bot is found by the dialog's number: {card:#}"
    );
}

async fn a_telegram_chat_without_code_is_matched_as_probable(backend: Backend) {
    let app = spawn_app(backend).await;
    let b = Browsing::random();
    clicked_bot(&app, &b, "tg", TELEGRAM_BOT, 60_000).await;
    // A message without a /start payload: the code was lost on the way.
    let report = posted(&app, "telegram/text.json").await;
    assert_eq!(report["stored"], 1);
    let card = app.only_card().await;
    assert_eq!(card["match"]["kind"], "probable", "{card:#}");
    assert_eq!(card["session"]["utm_source"], "telegram-ads");
    assert_eq!(card["page_of_contact"], "https://shop.test/oak-table");
}

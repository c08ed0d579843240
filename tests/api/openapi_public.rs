//! The public routes a site integrates with, driven and checked against the description:
//! health, the tracker, beacons, `/go` links and the three webhooks.

use chatrail_tests::app::{whatsapp_text, APP_SECRET, TELEGRAM_SECRET, VERIFY_TOKEN};
use chatrail_tests::inbound::{fixture, twilio_form, Browsing};
use chatrail_tests::openapi::{call, Answer, Driver};
use serde_json::json;

const JSON: &str = "application/json";

/// The routes a site integrates with: health, the tracker, beacons, links and webhooks.
pub async fn public_routes(d: &Driver<'_>) {
    let health = d.expect(call("GET", "/health", "/health"), 200).await;
    assert_eq!(health.json()["status"], "ok");

    let js = d.expect(call("GET", "/t.js", "/t.js"), 200).await;
    d.expect(call("GET", "/t.js", "/t.js?site=shop"), 200).await;
    let etag = d
        .app
        .http
        .get(format!("{}/t.js", d.app.base))
        .send()
        .await
        .unwrap();
    let etag = etag.headers()["etag"].to_str().unwrap().to_owned();
    d.expect(
        call("GET", "/t.js", "/t.js").header("if-none-match", etag),
        304,
    )
    .await;
    let js = String::from_utf8(js.body).unwrap();
    let start = js.find("/t/").expect("t.js names the wasm path");
    let wasm = &js[start..start + js[start..].find(".wasm").unwrap() + 5];
    d.expect(call("GET", "/t/{hash}.wasm", wasm), 200).await;
    let wasm_etag = d.app.http.get(format!("{}{wasm}", d.app.base)).send();
    let wasm_etag = wasm_etag.await.unwrap().headers()["etag"]
        .to_str()
        .unwrap()
        .to_owned();
    let revalidated = call("GET", "/t/{hash}.wasm", wasm).header("if-none-match", wasm_etag);
    d.expect(revalidated, 304).await;
    d.expect(call("GET", "/t/{hash}.wasm", "/t/0000.wasm"), 404)
        .await;
    d.expect(
        call("GET", "/sites/{key}/config", "/sites/shop/config"),
        200,
    )
    .await;
    d.expect(
        call("GET", "/sites/{key}/config", "/sites/nope/config"),
        404,
    )
    .await;

    let b = Browsing::random();
    let visit = json!({"site": "shop", "visitor": b.visitor, "session": b.session, "code": b.code,
        "url": "https://shop.test/oak?utm_source=google&utm_medium=cpc&utm_campaign=oak",
        "referrer": "https://www.google.com/", "screen_w": 390, "screen_h": 844,
        "language": "en-GB", "timezone": "Europe/London"});
    let click = json!({"site": "shop", "visitor": b.visitor, "session": b.session, "code": b.code,
        "page": "https://shop.test/oak#buy", "number": "79001234567", "kind": "wa.me"});
    let ua = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
    for (template, body) in [("/collect/visit", visit), ("/collect/click", click)] {
        let post = || call("POST", template, template).header("user-agent", ua);
        let taken = d
            .expect(post().body("text/plain", body.to_string()), 202)
            .await;
        assert_eq!(taken.json()["status"], "accepted");
        let robot = call("POST", template, template)
            .header(
                "user-agent",
                "Googlebot/2.1 (+http://www.google.com/bot.html)",
            )
            .body("text/plain", body.to_string());
        assert_eq!(d.expect(robot, 202).await.json()["status"], "dropped");
        d.expect(post().body("text/plain", "{"), 400).await;
        let mut elsewhere = body.clone();
        elsewhere["site"] = json!("nope");
        d.expect(post().body("text/plain", elsewhere.to_string()), 404)
            .await;
        d.expect(post().body("text/plain", "x".repeat(9 * 1024)), 413)
            .await;
    }

    let go = "/go/{site}/{chat}";
    let redirect = d
        .expect(
            call("GET", go, "/go/shop/79001234567?utm_source=qr&text=hi"),
            302,
        )
        .await;
    assert!(redirect.body.is_empty());
    d.expect(call("GET", go, "/go/nope/79001234567"), 404).await;
    d.expect(call("GET", go, "/go/shop/15550001111"), 404).await;

    let verify = "/webhooks/whatsapp";
    let handshake = |token: &str| {
        format!("{verify}?hub.mode=subscribe&hub.verify_token={token}&hub.challenge=1158201444")
    };
    let echoed = d
        .expect(call("GET", verify, handshake(VERIFY_TOKEN)), 200)
        .await;
    assert_eq!(echoed.body, b"1158201444");
    d.expect(call("GET", verify, handshake("wrong")), 403).await;
    d.expect(
        call("GET", verify, format!("{verify}?hub.mode=unsubscribe")),
        400,
    )
    .await;

    let message = whatsapp_text("wamid.oa1", "447911123456", "Tom", "hello", 1_763_806_200);
    let signed = chatrail_collector::providers::signature::hub_signature(
        APP_SECRET.as_bytes(),
        message.as_bytes(),
    );
    let post = || call("POST", verify, verify);
    let report = d
        .expect(
            post()
                .header("x-hub-signature-256", signed.clone())
                .body(JSON, message.clone()),
            200,
        )
        .await;
    assert_eq!(report.json()["stored"], 1);
    d.expect(post().body(JSON, message.clone()), 401).await;
    let bad = "{not json";
    let bad_signed = chatrail_collector::providers::signature::hub_signature(
        APP_SECRET.as_bytes(),
        bad.as_bytes(),
    );
    d.expect(
        post()
            .header("x-hub-signature-256", bad_signed)
            .body(JSON, bad),
        400,
    )
    .await;
    d.expect(post().body(JSON, "x".repeat(4 * 1024 * 1024 + 1)), 413)
        .await;

    // Twilio and Telegram through the tests' signing helpers, checked the same way.
    let twilio = "/webhooks/twilio";
    let form = twilio_form("twilio/text_with_code.form");
    let signed = d.app.post_twilio(&form).await;
    d.checked("POST", twilio, Answer::read(signed).await, 200);
    let unsigned = call("POST", twilio, twilio).body(
        "application/x-www-form-urlencoded",
        "To=whatsapp%3A%2B79001234567",
    );
    d.expect(unsigned, 401).await;
    let no_to = d
        .app
        .post_twilio("Body=hi&From=whatsapp%3A%2B447911123456")
        .await;
    d.checked("POST", twilio, Answer::read(no_to).await, 400);
    let huge = d.app.post_twilio(&"x".repeat(257 * 1024)).await;
    d.checked("POST", twilio, Answer::read(huge).await, 413);
    let telegram = "/webhooks/telegram/{site_key}";
    let update = fixture("telegram/text.json");
    let elsewhere = call("POST", telegram, "/webhooks/telegram/nope")
        .header("x-telegram-bot-api-secret-token", TELEGRAM_SECRET)
        .body(JSON, update.clone());
    d.expect(elsewhere, 404).await;
    for (resp, status) in [
        (d.app.post_telegram(&update).await, 200),
        (d.app.post_telegram_with(&update, None).await, 401),
        (d.app.post_telegram(r#"{"update_id": "x"}"#).await, 400),
        (d.app.post_telegram(&"x".repeat(1024 * 1024 + 1)).await, 413),
    ] {
        d.checked("POST", telegram, Answer::read(resp).await, status);
    }
}

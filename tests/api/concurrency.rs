//! The same provider message delivered many times at the same moment, over real HTTP: one
//! message, one dialog, every request acknowledged.

use chatrail_tests::app::{spawn_app, whatsapp_text, Backend, TestApp};
use chatrail_tests::inbound::{fixture, twilio_form, Browsing, FIXTURE_CODE};
use chatrail_tests::on_both_backends;
use futures_util::future::join_all;
use serde_json::Value;

on_both_backends!(simultaneous_duplicates_make_one_message_and_one_dialog);

/// How many copies of each delivery are sent at once.
const COPIES: usize = 12;

async fn burst<F, Fut>(send: F) -> Vec<reqwest::Response>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = reqwest::Response>,
{
    let responses = join_all((0..COPIES).map(|_| send())).await;
    for r in &responses {
        assert_eq!(r.status(), 200);
    }
    responses
}

async fn reports(responses: Vec<reqwest::Response>) -> (u64, u64) {
    let mut totals = (0, 0);
    for r in responses {
        let report: Value = r.json().await.unwrap();
        totals.0 += report["stored"].as_u64().unwrap();
        totals.1 += report["duplicates"].as_u64().unwrap();
    }
    totals
}

async fn simultaneous_duplicates_make_one_message_and_one_dialog(backend: Backend) {
    let app: TestApp = spawn_app(backend).await;
    let b = Browsing::with_code(FIXTURE_CODE);
    app.browse_before_fixtures(&b, "https://shop.test/").await;

    let cloud = whatsapp_text(
        "wamid.burst",
        "5511987654321",
        "Ana",
        "Hi (ref K7Q2M9VA)",
        1_763_805_600,
    );
    let totals = reports(burst(|| app.post_whatsapp(&cloud)).await).await;
    assert_eq!(totals, (1, COPIES as u64 - 1), "Cloud API");

    let telegram = fixture("telegram/start.json");
    let totals = reports(burst(|| app.post_telegram(&telegram)).await).await;
    assert_eq!(totals, (1, COPIES as u64 - 1), "Telegram");

    let twilio = twilio_form("twilio/referral.form");
    burst(|| app.post_twilio(&twilio)).await;

    let generic = fixture("generic/message.json");
    let answers = burst(|| app.post_message(&generic)).await;
    let mut stored = 0;
    for a in answers {
        if a.json::<Value>().await.unwrap()["status"] == "stored" {
            stored += 1;
        }
    }
    assert_eq!(stored, 1, "generic API");

    // Ana on WhatsApp, Ana on Telegram, Tom (Twilio), the Instagram sender: four dialogs.
    let dialogs = app.dialogs().await;
    assert_eq!(dialogs.len(), 4, "{dialogs:#?}");
    let tom = dialogs
        .iter()
        .find(|d| d["contact_name"] == "Tom Reid")
        .unwrap();
    assert_eq!(tom["match_kind"], "referral");
}

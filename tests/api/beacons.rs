//! Visit and click beacons: validation at the edge, then the batch writer.

use chatrail_core::beacon::format_id;
use chatrail_core::code::SessionCode;
use chatrail_tests::app::{spawn_app, whatsapp_text, Backend, TestApp};
use chatrail_tests::on_both_backends;
use serde_json::{json, Value};

on_both_backends!(
    beacons_build_the_session_behind_a_source_card,
    malformed_oversized_and_hostile_beacons_get_a_json_4xx,
    a_click_sent_again_is_stored_once,
);

pub(crate) async fn post(app: &TestApp, path: &str, body: String) -> reqwest::Response {
    app.http
        .post(format!("{}{path}", app.base))
        .header("content-type", "text/plain;charset=UTF-8")
        .header(
            "user-agent",
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
        )
        .body(body)
        .send()
        .await
        .unwrap()
}

pub(crate) fn ids() -> (String, String, SessionCode) {
    let code = SessionCode::generate(|| (uuid::Uuid::new_v4().as_u128() >> 96) as u32);
    (
        format_id(*uuid::Uuid::new_v4().as_bytes()),
        format_id(*uuid::Uuid::new_v4().as_bytes()),
        code,
    )
}

async fn beacons_build_the_session_behind_a_source_card(backend: Backend) {
    let app = spawn_app(backend).await;
    let (visitor, session, code) = ids();
    let landing =
        "https://shop.test/oak-table?utm_source=newsletter&utm_medium=email&utm_campaign=nov";
    let visit = json!({"site": "shop", "visitor": visitor, "session": session, "code": code.as_str(),
        "url": landing, "referrer": "https://mail.example.org/inbox", "screen_w": 390, "screen_h": 844,
        "language": "en-GB", "timezone": "Europe/London"});
    assert_eq!(
        post(&app, "/collect/visit", visit.to_string())
            .await
            .status(),
        202
    );
    let click = json!({"site": "shop", "visitor": visitor, "session": session, "code": code.as_str(),
        "page": "https://shop.test/oak-table#buy", "number": "79001234567", "kind": "wa.me"});
    assert_eq!(
        post(&app, "/collect/click", click.to_string())
            .await
            .status(),
        202
    );
    app.assert_written(2).await;

    let text = format!("Is the oak table in stock? (ref {code})");
    let report: Value = app
        .post_whatsapp(&whatsapp_text(
            "wamid.b1",
            "447911123456",
            "Tom",
            &text,
            1_763_806_200,
        ))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(report["stored"], 1);
    let id = report["dialogs"][0].as_str().unwrap();
    let card: Value = app
        .api_get(&format!("/api/v1/dialogs/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(card["match"]["kind"], "exact");
    assert_eq!(card["session"]["landing_page"], landing);
    assert_eq!(card["session"]["channel"], "Email");
    assert_eq!(card["session"]["os"], "iPhone");
    assert_eq!(card["session"]["device"], "smartphone");
    assert_eq!(card["session"]["screen_h"], 844);
    assert_eq!(card["page_of_contact"], "https://shop.test/oak-table#buy");
}

async fn malformed_oversized_and_hostile_beacons_get_a_json_4xx(backend: Backend) {
    let app = spawn_app(backend).await;
    let (visitor, session, code) = ids();
    let good = json!({"site": "shop", "visitor": visitor, "session": session, "code": code.as_str(),
        "url": "https://shop.test/"});
    let with = |key: &str, value: Value| {
        let mut v = good.clone();
        v[key] = value;
        v.to_string()
    };
    let mut wrong_check = code.as_str().to_owned();
    let last = if wrong_check.ends_with('0') { "1" } else { "0" };
    wrong_check.replace_range(7..8, last);
    let cases: Vec<(String, u16, &str)> = vec![
        ("{not json".into(), 400, "invalid beacon JSON"),
        ("[]".into(), 400, "invalid beacon JSON"),
        (with("code", json!(wrong_check)), 400, "`code`"),
        (with("visitor", json!("../../etc/passwd")), 400, "`visitor`"),
        (with("url", json!("javascript:alert(1)")), 400, "`url`"),
        (
            with(
                "url",
                json!(format!("https://shop.test/?q={}", "a".repeat(3000))),
            ),
            400,
            "`url`",
        ),
        (with("screen_w", json!(0)), 400, "`screen_w`"),
        (with("screen_w", json!(-5)), 400, "invalid beacon JSON"),
        (with("timezone", json!("x".repeat(100))), 400, "`timezone`"),
        (with("site", json!("nope")), 404, "site not found"),
        (
            format!("{{\"pad\":\"{}\"}}", "x".repeat(10_000)),
            413,
            "larger than",
        ),
    ];
    for (body, status, needle) in cases {
        let resp = post(&app, "/collect/visit", body.clone()).await;
        assert_eq!(resp.status().as_u16(), status, "{body:.120}");
        // Readable by the snippet on the site's origin, which drops a refused beacon.
        assert_eq!(resp.headers()["access-control-allow-origin"], "*");
        let err: Value = resp.json().await.unwrap();
        let msg = err["error"].as_str().unwrap();
        assert!(msg.contains(needle), "{msg:?} should mention {needle:?}");
    }
    let click = json!({"site": "shop", "visitor": visitor, "session": session, "code": code.as_str(),
        "page": "https://shop.test/", "number": "+1 555 000 0000", "kind": "wa.me"});
    let resp = post(&app, "/collect/click", click.to_string()).await;
    assert_eq!(resp.status(), 400);
    assert_eq!(resp.headers()["access-control-allow-origin"], "*");
    assert!(resp.json::<Value>().await.unwrap()["error"]
        .as_str()
        .unwrap()
        .contains("not a tracked number"));
    // Nothing refused was queued.
    assert_eq!(app.ingest_counter("accepted").await, 0);
}

/// Every click stored for the test site, counted as the reports count them (the rollups
/// checked against the table).
async fn stored_clicks(app: &TestApp) -> i64 {
    use chatrail_collector::reports::query::{CountQuery, Fact, ReportFilters};
    let drift = app.store.rollup_drift(app.site.id).await.unwrap();
    assert!(drift.is_empty(), "{drift:?}");
    let rows = app
        .store
        .count(&CountQuery {
            site_id: app.site.id,
            fact: Fact::Clicks,
            from_ms: 0,
            to_ms: i64::MAX,
            keys: &[],
            first_key_required: false,
            bucket_ms: None,
            offset_ms: 0,
            filters: &ReportFilters::default(),
        })
        .await
        .unwrap();
    rows.iter().map(|r| r.n).sum()
}

/// The snippet keeps a click until the collector answers it and sends it again on the next
/// page when it cannot tell (the page it left was gone first): a click id is stored once,
/// whether the copies come in one batch or several.
async fn a_click_sent_again_is_stored_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let (visitor, session, code) = ids();
    let visit = json!({"site": "shop", "visitor": visitor, "session": session, "code": code.as_str(),
        "url": "https://shop.test/"});
    assert_eq!(
        post(&app, "/collect/visit", visit.to_string())
            .await
            .status(),
        202
    );
    let click = |id: Option<String>| {
        let mut c = json!({"site": "shop", "visitor": visitor, "session": session,
            "code": code.as_str(), "page": "https://shop.test/", "number": "79001234567",
            "kind": "wa.me"});
        if let Some(id) = id {
            c["id"] = json!(id);
        }
        c.to_string()
    };
    let id = format_id(*uuid::Uuid::new_v4().as_bytes());
    for _ in 0..2 {
        assert_eq!(
            post(&app, "/collect/click", click(Some(id.clone())))
                .await
                .status(),
            202
        );
    }
    app.assert_written(3).await;
    assert_eq!(stored_clicks(&app).await, 1);
    assert_eq!(
        post(&app, "/collect/click", click(Some(id.clone())))
            .await
            .status(),
        202
    );
    app.assert_written(4).await;
    assert_eq!(stored_clicks(&app).await, 1, "sent again in a later batch");
    // Clicks without an id (older snippets) are each a click.
    for _ in 0..2 {
        assert_eq!(
            post(&app, "/collect/click", click(None)).await.status(),
            202
        );
    }
    app.assert_written(6).await;
    assert_eq!(stored_clicks(&app).await, 3);

    let resp = post(&app, "/collect/click", click(Some("../../x".into()))).await;
    assert_eq!(resp.status(), 400);
    let msg = resp.json::<Value>().await.unwrap()["error"].to_string();
    assert!(msg.contains("`id`"), "{msg}");
}

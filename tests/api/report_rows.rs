//! Report rows and what lies behind them: `click_to_chat` as a share of clicks (never over
//! 100%), and a row's dialogs listed by its keys and period.

use chatrail_collector::domain::token::Role;
use chatrail_collector::reports::store::Reports;
use chatrail_tests::app::{create_token, spawn_app, whatsapp_text, Backend, TestApp};
use chatrail_tests::inbound::{Browsing, FIXTURE_T};
use chatrail_tests::on_both_backends;
use serde_json::{json, Value};

use crate::real_traffic::{report_in, DAY, GCLID_LANDING, T};

on_both_backends!(
    click_to_chat_is_the_share_of_clicks_that_led_to_a_dialog,
    a_report_rows_dialogs_are_listed_by_its_keys_and_period,
);

/// One click that two people chat from (a shared link) is one click that led to a chat:
/// 100%, not 200%. A click whose chat comes the next day counts on the click's day.
async fn click_to_chat_is_the_share_of_clicks_that_led_to_a_dialog(backend: Backend) {
    let app = spawn_app(backend).await;
    let analyst = create_token(&app.store, &app.site, Role::Analyst).await;
    let shared = Browsing::random();
    app.visit(&shared, GCLID_LANDING, T - 600_000).await;
    app.click(&shared, T - 300_000).await;
    let late = Browsing::random();
    let newsletter = "https://shop.test/sale?utm_source=newsletter&utm_medium=email";
    app.visit(&late, newsletter, T - 500_000).await;
    app.click(&late, T - 200_000).await;
    let chats = [
        ("5511987654321", &shared, FIXTURE_T),
        ("5511912345678", &shared, FIXTURE_T + 60),
        ("5511900000000", &late, FIXTURE_T + 86_400),
    ];
    for (i, (phone, b, at)) in chats.into_iter().enumerate() {
        let text = format!("Hello {}", b.code);
        let body = whatsapp_text(&format!("wamid.ctc-{i}"), phone, "Ana", &text, at);
        let stored: Value = app.post_whatsapp(&body).await.json().await.unwrap();
        assert_eq!(stored["stored"], 1, "{stored}");
    }
    let channels = report_in(&app, &analyst, "channels", DAY).await;
    assert_eq!(
        channels,
        vec![
            json!({"channel": "Paid Search", "visits": 1, "clicks": 1, "dialogs": 2,
                "click_to_chat": 1.0}),
            json!({"channel": "Email", "visits": 1, "clicks": 1, "dialogs": 0,
                "click_to_chat": 1.0}),
        ]
    );
    let next_day = "from=2025-11-23&to=2025-11-23";
    let next = report_in(&app, &analyst, "channels?compare=previous", next_day).await;
    assert_eq!(next[0]["channel"], "Email", "{next:?}");
    assert_eq!(next[0]["dialogs"], 1);
    assert_eq!(next[0]["click_to_chat"], Value::Null, "no click that day");
    assert_eq!(next[0]["click_to_chat_previous"], 1.0, "{next:?}");
    let pages = report_in(&app, &analyst, "pages", DAY).await;
    assert!(
        pages
            .iter()
            .all(|r| r["click_to_chat"].as_f64().unwrap_or(0.0) <= 1.0),
        "{pages:?}"
    );
    assert_eq!(
        app.db.rollup_drift(app.site.id).await.unwrap(),
        Vec::<String>::new()
    );
}

/// The key columns of report rows (`ROW_KEYS` on the server).
const KEY_COLUMNS: [&str; 11] = [
    "channel",
    "campaign",
    "ad",
    "keyword",
    "landing_page",
    "page",
    "country",
    "region",
    "device",
    "os",
    "browser",
];

/// The dialogs list (up to 500) for query parameters.
async fn listed(app: &TestApp, token: &str, query: &[(&str, String)]) -> Vec<Value> {
    let resp = app
        .http
        .get(format!("{}/api/v1/dialogs?limit=500", app.base))
        .query(query)
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{query:?}");
    let body: Value = resp.json().await.unwrap();
    body["dialogs"].as_array().unwrap().clone()
}

/// For every row of every attribution report, the dialogs list filtered by the row's keys
/// (an empty key as `missing=`) and the report's period holds as many dialogs as the row
/// counts.
async fn a_report_rows_dialogs_are_listed_by_its_keys_and_period(backend: Backend) {
    let app = spawn_app(backend).await;
    let analyst = create_token(&app.store, &app.site, Role::Analyst).await;
    let yandex = "https://shop.test/%D0%BA%D0%B0%D1%82%D0%B0%D0%BB%D0%BE%D0%B3/?utm_source=yandex&utm_medium=cpc&utm_campaign=beds&utm_term=%D0%BA%D1%80%D0%BE%D0%B2%D0%B0%D1%82%D1%8C&yclid=7291044";
    let mut chats = Vec::new();
    for (i, landing) in [GCLID_LANDING, yandex, GCLID_LANDING, "https://shop.test/"]
        .into_iter()
        .enumerate()
    {
        let b = Browsing::random();
        app.visit(&b, landing, T - 600_000 + i as i64 * 1000).await;
        app.click(&b, T - 300_000 + i as i64 * 1000).await;
        chats.push(format!("Hello {}", b.code));
    }
    chats.push("Hi, no code".into());
    chats.push(format!("{} again, the next day", chats[0]));
    for (i, text) in chats.iter().enumerate() {
        let at = FIXTURE_T + i as i64 * 60 + if i == 5 { 86_400 } else { 0 };
        let phone = format!("55119876543{i:02}");
        let body = whatsapp_text(&format!("wamid.row-{i}"), &phone, "Мария", text, at);
        let stored: Value = app.post_whatsapp(&body).await.json().await.unwrap();
        assert_eq!(stored["stored"], 1, "{stored}");
    }
    let mut checked = 0;
    for name in [
        "channels",
        "campaigns",
        "ads",
        "keywords",
        "landing-pages",
        "pages",
        "regions",
        "devices",
        "browsers",
    ] {
        for row in report_in(&app, &analyst, name, DAY).await {
            let mut query = vec![("from", "2025-11-22".into()), ("to", "2025-11-22".into())];
            let mut missing = Vec::new();
            for column in KEY_COLUMNS {
                match row.get(column) {
                    Some(Value::String(v)) => query.push((column, v.clone())),
                    Some(Value::Null) => missing.push(column),
                    _ => {}
                }
            }
            if !missing.is_empty() {
                query.push(("missing", missing.join(",")));
            }
            let dialogs = listed(&app, &app.token, &query).await;
            assert_eq!(
                Some(dialogs.len() as u64),
                row["dialogs"].as_u64(),
                "{name} row {row} lists {dialogs:#?}"
            );
            if let Some(channel) = row.get("channel") {
                assert!(dialogs.iter().all(|d| &d["channel"] == channel), "{row}");
            }
            checked += 1;
        }
    }
    assert!(checked >= 15, "rows checked: {checked}");
    // The day after holds only the late chat; bad filters are named.
    let next_day = [
        ("from", "2025-11-23".to_owned()),
        ("to", "2025-11-23".to_owned()),
        ("channel", "Paid Search".to_owned()),
    ];
    let next = listed(&app, &app.token, &next_day).await;
    assert_eq!(next.len(), 1, "{next:#?}");
    for (query, says) in [
        ("missing=colour", "missing must list key columns"),
        ("from=2025-11-23", "from and to go together"),
        ("from=2025-11-23&to=2025-11-22", "to is before from"),
        ("from=2025-13-01&to=2025-13-02", "from must be a date"),
        (
            "campaign=kids&missing=campaign",
            "campaign is both given and missing",
        ),
    ] {
        let resp = app
            .http
            .get(format!("{}/api/v1/dialogs?{query}", app.base))
            .bearer_auth(&app.token)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 400, "{query}");
        let body: Value = resp.json().await.unwrap();
        assert!(body.to_string().contains(says), "{query}: {body}");
    }
}

//! Reports on real-shaped traffic.
//! - Page identity: ad clicks (gclid, yclid, fbclid and UTM tags) to one path, with and
//!   without its trailing slash, and a Cyrillic path sent encoded and raw, are one row per
//!   page, decoded; the source card keeps the full URL.
//! - A Click-to-WhatsApp chat without a visit counts under its channel and its ad.
//!
//! Rows stored by earlier versions are caught up at start-up, with rollups to match.

use chatrail_collector::domain::token::Role;
use chatrail_collector::reports::store::Reports;
use chatrail_collector::storage::catch_up;
use chatrail_tests::app::{create_token, spawn_app, whatsapp_text, Backend, TestApp};
use chatrail_tests::geoip::{self, LONDON, MOSCOW};
use chatrail_tests::inbound::{fixture, Browsing, FIXTURE_T};
use chatrail_tests::on_both_backends;
use serde_json::{json, Value};

on_both_backends!(
    ad_clicks_to_one_page_are_one_row_decoded,
    rows_from_before_page_keys_get_theirs_and_the_rollups_follow,
    a_click_to_whatsapp_chat_without_a_visit_counts_under_its_channel_and_ad,
    contacts_are_found_whatever_the_case_in_any_script,
    every_report_answers_the_comparison_period_beside_its_counts,
    the_summary_counts_people_messages_statuses_and_the_first_response,
    visits_clicks_and_dialogs_break_down_by_region_device_and_browser,
    the_bucket_still_filling_is_marked_partial,
    the_dialogs_list_exports_as_csv_page_after_page,
);

pub const T: i64 = FIXTURE_T * 1000;
pub const DAY: &str = "from=2025-11-22&to=2025-11-22";
pub const GCLID_LANDING: &str =
    "https://shop.test/kids/?utm_source=google&utm_medium=cpc&utm_campaign=kids&gclid=Cj0KCQiA1";
const LANDINGS: [&str; 6] = [
    GCLID_LANDING,
    "https://shop.test/kids?utm_source=google&utm_medium=cpc&utm_campaign=kids&gclid=Cj0KCQiA2",
    "https://shop.test/kids/?utm_source=yandex&utm_medium=cpc&yclid=7291044",
    "https://www.shop.test/kids/#reviews",
    "https://shop.test/%D0%BA%D0%B0%D1%82%D0%B0%D0%BB%D0%BE%D0%B3/?fbclid=IwAR3xYz",
    "https://shop.test/каталог?utm_source=vk",
];

/// Stores a session per landing page, a click in the first two, and a chat carrying the
/// first one's code; returns the first session and the chat's dialog.
async fn traffic(app: &TestApp) -> (Browsing, String) {
    let mut sessions = Vec::new();
    for (i, landing) in LANDINGS.iter().enumerate() {
        let b = Browsing::random();
        app.visit(&b, landing, T - 600_000 + i as i64 * 1000).await;
        if i < 2 {
            app.click(&b, T - 300_000 + i as i64 * 1000).await;
        }
        sessions.push(b);
    }
    let first = sessions.swap_remove(0);
    let text = format!("Hello, kids' beds? {}", first.code);
    let body = whatsapp_text("wamid.page-1", "5511987654321", "Мария", &text, FIXTURE_T);
    let report: Value = app.post_whatsapp(&body).await.json().await.unwrap();
    let dialog = report["dialogs"][0].as_str().expect("stored").to_owned();
    (first, dialog)
}

async fn report(app: &TestApp, token: &str, name: &str) -> Vec<Value> {
    report_in(app, token, name, DAY).await
}

/// The report's rows for a `from=…&to=…` range.
pub async fn report_in(app: &TestApp, token: &str, name: &str, range: &str) -> Vec<Value> {
    let resp = app
        .http
        .get(format!(
            "{}/api/v1/reports/{name}{}{range}",
            app.base,
            if name.contains('?') { '&' } else { '?' }
        ))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{name}");
    let body: Value = resp.json().await.unwrap();
    body["rows"].as_array().unwrap().clone()
}

fn expected_landing_pages() -> Vec<Value> {
    vec![
        json!({"landing_page": "/kids", "visits": 4, "clicks": 2, "dialogs": 1,
            "click_to_chat": 0.5}),
        json!({"landing_page": "/каталог", "visits": 2, "clicks": 0, "dialogs": 0,
            "click_to_chat": null}),
    ]
}

async fn ad_clicks_to_one_page_are_one_row_decoded(backend: Backend) {
    let app = spawn_app(backend).await;
    let analyst = create_token(&app.store, &app.site, Role::Analyst).await;
    let (_, dialog) = traffic(&app).await;
    assert_eq!(
        report(&app, &analyst, "landing-pages").await,
        expected_landing_pages()
    );
    assert_eq!(
        report(&app, &analyst, "pages").await,
        vec![json!({"page": "/oak-table", "clicks": 2, "dialogs": 1, "click_to_chat": 0.5})]
    );
    // The card keeps the full URLs.
    let card = app.card(&dialog).await;
    assert_eq!(card["session"]["landing_page"], GCLID_LANDING, "{card:#}");
    assert_eq!(card["page_of_contact"], "https://shop.test/oak-table");
}

async fn rows_from_before_page_keys_get_theirs_and_the_rollups_follow(backend: Backend) {
    let app = spawn_app(backend).await;
    let analyst = create_token(&app.store, &app.site, Role::Analyst).await;
    traffic(&app).await;
    // As stored before migration 0015: no keys anywhere, rollups keyed by full URLs (rebuilt
    // from the keyless rows, they have no page at all).
    for sql in [
        "UPDATE sessions SET landing_key = NULL",
        "UPDATE clicks SET landing_key = NULL, page_key = NULL",
        "UPDATE dialogs SET landing_key = NULL, page_key = NULL",
    ] {
        app.db.execute(sql, vec![]).await.unwrap();
    }
    app.db.rebuild_rollups(app.site.id).await.unwrap();
    assert_ne!(
        report(&app, &analyst, "landing-pages").await,
        expected_landing_pages()
    );

    assert_eq!(catch_up(&app.db).await.unwrap(), 8, "6 sessions, 2 clicks");
    assert_eq!(catch_up(&app.db).await.unwrap(), 0, "once done, a no-op");
    assert_eq!(
        report(&app, &analyst, "landing-pages").await,
        expected_landing_pages()
    );
    assert_eq!(
        app.db.rollup_drift(app.site.id).await.unwrap(),
        Vec::<String>::new()
    );
}

async fn a_click_to_whatsapp_chat_without_a_visit_counts_under_its_channel_and_ad(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let analyst = create_token(&app.store, &app.site, Role::Analyst).await;
    let report_body: Value = app
        .post_whatsapp(&fixture("whatsapp/referral.json"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(report_body["stored"], 1);
    let expect = |rows: Vec<Value>| {
        assert_eq!(
            rows,
            vec![
                json!({"channel": "Click-to-WhatsApp", "visits": 0, "clicks": 0,
                "dialogs": 1, "click_to_chat": null})
            ]
        );
    };
    expect(report(&app, &analyst, "channels").await);
    assert_eq!(
        report(&app, &analyst, "ads").await,
        vec![
            json!({"ad": "Chat with us (120219876543210987)", "campaign": null,
            "visits": 0, "clicks": 0, "dialogs": 1, "click_to_chat": null})
        ]
    );
    let filtered = report(&app, &analyst, "new-repeat?channel=Click-to-WhatsApp").await;
    assert_eq!(
        filtered[0],
        json!({"kind": "new", "dialogs": 1, "share": 1.0})
    );

    // Stored by an earlier version: no channel, no ad; caught up at start-up.
    app.db
        .execute(
            "UPDATE dialogs SET channel = NULL, utm_content = NULL",
            vec![],
        )
        .await
        .unwrap();
    assert!(!app.db.rollup_drift(app.site.id).await.unwrap().is_empty());
    assert_eq!(catch_up(&app.db).await.unwrap(), 1);
    expect(report(&app, &analyst, "channels").await);
    assert_eq!(
        app.db.rollup_drift(app.site.id).await.unwrap(),
        Vec::<String>::new()
    );
}

async fn contacts_are_found_whatever_the_case_in_any_script(backend: Backend) {
    let app = spawn_app(backend).await;
    for (id, phone, name) in [
        ("wamid.s1", "79161234567", "Мария Петрова"),
        ("wamid.s2", "306912345678", "Σωκράτης"),
        ("wamid.s3", "4915112345678", "Jürgen"),
    ] {
        app.post_whatsapp(&whatsapp_text(id, phone, name, "Здравствуйте", FIXTURE_T))
            .await;
    }
    let found = |q: &'static str| {
        let app = &app;
        async move {
            let q: String = form_urlencoded::byte_serialize(q.as_bytes()).collect();
            let list: Value = app
                .api_get(&format!("/api/v1/dialogs?q={q}"))
                .await
                .json()
                .await
                .unwrap();
            let names: Vec<String> = list["dialogs"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["contact_name"].as_str().unwrap_or_default().to_owned())
                .collect();
            names
        }
    };
    let searches = [
        ("мария", "Мария Петрова"),
        ("ПЕТРОВА", "Мария Петрова"),
        ("рия пет", "Мария Петрова"),
        ("σωκράτης", "Σωκράτης"),
        ("JÜRGEN", "Jürgen"),
    ];
    for (q, name) in searches {
        assert_eq!(found(q).await, [name], "{q}");
    }
    assert!(found("иван").await.is_empty());

    // Contacts from before folded names get theirs at start-up.
    app.db
        .execute("UPDATE contacts SET name_folded = NULL", vec![])
        .await
        .unwrap();
    assert!(found("мария").await.is_empty());
    assert_eq!(catch_up(&app.db).await.unwrap(), 3);
    assert_eq!(found("мария").await, ["Мария Петрова"]);
}

async fn every_report_answers_the_comparison_period_beside_its_counts(backend: Backend) {
    let app = spawn_app(backend).await;
    let analyst = create_token(&app.store, &app.site, Role::Analyst).await;
    const DAY_MS: i64 = 86_400_000;
    let google = "https://shop.test/kids?utm_source=google&utm_medium=cpc&gclid=Cj0";
    let email = "https://shop.test/sale?utm_source=newsletter&utm_medium=email";
    // The day before: three ad visits and a newsletter one; the day: two ad visits, a click.
    for (landing, at) in [
        (google, T - DAY_MS),
        (google, T - DAY_MS + 1),
        (google, T - DAY_MS + 2),
        (email, T - DAY_MS + 3),
        (google, T),
    ] {
        app.visit(&Browsing::random(), landing, at).await;
    }
    let clicking = Browsing::random();
    app.visit(&clicking, google, T + 1).await;
    app.click(&clicking, T + 2).await;

    let resp = app
        .http
        .get(format!(
            "{}/api/v1/reports/channels?{DAY}&compare=previous",
            app.base
        ))
        .bearer_auth(&analyst)
        .send()
        .await
        .unwrap();
    let body: Value = resp.json().await.unwrap();
    assert_eq!(
        (&body["compare_from"], &body["compare_to"]),
        (&json!("2025-11-21"), &json!("2025-11-21"))
    );
    assert_eq!(
        body["rows"],
        json!([
            {"channel": "Paid Search", "visits": 2, "clicks": 1, "dialogs": 0,
             "click_to_chat": 0.0, "visits_previous": 3, "clicks_previous": 0,
             "dialogs_previous": 0, "click_to_chat_previous": null},
            {"channel": "Email", "visits": 0, "clicks": 0, "dialogs": 0,
             "click_to_chat": null, "visits_previous": 1, "clicks_previous": 0,
             "dialogs_previous": 0, "click_to_chat_previous": null},
        ])
    );
    // Shares and the landing pages too; CSV carries the same columns.
    let landing = report(&app, &analyst, "landing-pages?compare=previous").await;
    assert_eq!(landing[0]["landing_page"], "/kids");
    assert_eq!(
        (
            landing[0]["visits"].clone(),
            landing[0]["visits_previous"].clone()
        ),
        (json!(2), json!(3))
    );
    let csv = app
        .http
        .get(format!(
            "{}/api/v1/reports/new-repeat?{DAY}&compare=year&format=csv",
            app.base
        ))
        .bearer_auth(&analyst)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        csv.starts_with("kind,dialogs,share,dialogs_previous,share_previous\n"),
        "{csv}"
    );
}

async fn the_summary_counts_people_messages_statuses_and_the_first_response(backend: Backend) {
    let app = spawn_app(backend).await;
    let analyst = create_token(&app.store, &app.site, Role::Analyst).await;
    // Two people write; the business answers the first 840 s after her first message, the
    // second 890 s after his (a message that failed, a voice note played; a deletion is no message).
    for (id, phone, name, at) in [
        ("wamid.m1", "5511987654321", "Мария", FIXTURE_T),
        ("wamid.m2", "5511987654321", "Мария", FIXTURE_T + 60),
        ("wamid.m3", "447911123456", "Tom", FIXTURE_T + 100),
    ] {
        let body = whatsapp_text(id, phone, name, "Здравствуйте", at);
        assert_eq!(app.post_whatsapp(&body).await.status(), 200);
    }
    let statuses = app
        .post_whatsapp(&fixture("whatsapp/statuses_out_of_order.json"))
        .await;
    assert_eq!(statuses.status(), 200);
    let rows = report(&app, &analyst, "summary").await;
    assert_eq!(
        rows,
        vec![json!({
            "dialogs": 2, "contacts": 2, "new_contacts": 2, "returning_contacts": 0,
            "messages_received": 3, "messages_sent": 3, "delivered": 2, "read": 2,
            "failed": 1, "median_first_response_s": 865,
        })]
    );
    // Her card shows the thread: her two messages, then the answer with its latest status
    // (read, though its `sent` came after).
    let list: Value = app
        .api_get("/api/v1/dialogs?q=5511987654321")
        .await
        .json()
        .await
        .unwrap();
    let card = app
        .card(list["dialogs"][0]["dialog_id"].as_str().unwrap())
        .await;
    let thread: Vec<(String, Value, Value)> = card["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["direction"].as_str().unwrap().to_owned(),
                m["text"].clone(),
                m["status"].clone(),
            )
        })
        .collect();
    assert_eq!(
        thread,
        [
            ("in".to_owned(), json!("Здравствуйте"), Value::Null),
            ("in".to_owned(), json!("Здравствуйте"), Value::Null),
            ("out".to_owned(), Value::Null, json!("read")),
        ],
        "{card:#}"
    );
    // A filter narrows the messages to the people it leaves; the day before had nothing.
    let rows = report(
        &app,
        &analyst,
        "summary?channel=Paid%20Search&compare=previous",
    )
    .await;
    assert_eq!(rows[0]["dialogs"], 0);
    assert_eq!(rows[0]["messages_received"], 0);
    assert_eq!(rows[0]["dialogs_previous"], 0);
    assert_eq!(rows[0]["median_first_response_s_previous"], Value::Null);
}

async fn visits_clicks_and_dialogs_break_down_by_region_device_and_browser(backend: Backend) {
    let (app, _fixtures) = geoip::app_with_regions(backend, "127.0.0.1/32").await;
    let analyst = create_token(&app.store, &app.site, Role::Analyst).await;
    const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) \
        AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1";
    const WINDOWS: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 \
        (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36";
    // Over HTTP as browsers send them: London on an iPhone (who clicks and chats), Moscow
    // twice on Windows.
    let mut chatting = None;
    for (ip, ua, click) in [
        (LONDON.ip, IPHONE, true),
        (MOSCOW.ip, WINDOWS, false),
        (MOSCOW.ip, WINDOWS, false),
    ] {
        let b = Browsing::random();
        let mut beacons = vec![(
            "visit",
            json!({"site": "shop", "visitor": b.visitor,
            "session": b.session, "code": b.code, "url": "https://shop.test/"}),
        )];
        if click {
            beacons.push((
                "click",
                json!({"site": "shop", "visitor": b.visitor,
                "session": b.session, "code": b.code, "page": "https://shop.test/",
                "number": "79001234567", "kind": "wa.me"}),
            ));
            chatting = Some(b.code.clone());
        }
        for (kind, body) in beacons {
            let res = app.beacon_from(kind, &body, ua, ip).await;
            assert_eq!(res.status(), 202);
        }
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let text = format!("Hello {}", chatting.unwrap());
    let body = whatsapp_text("wamid.geo-1", "447700900111", "Ann", &text, now);
    app.post_whatsapp(&body).await;
    // Yesterday too, should the day turn while the test runs.
    let today = chrono::Utc::now().date_naive();
    let period = format!("from={}&to={today}", today.pred_opt().unwrap());
    let get = |name: &'static str| {
        let (app, analyst, period) = (&app, &analyst, &period);
        async move {
            let resp = app
                .http
                .get(format!("{}/api/v1/reports/{name}?{period}", app.base))
                .bearer_auth(analyst)
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), 200, "{name}");
            let body: Value = resp.json().await.unwrap();
            body["rows"].clone()
        }
    };
    assert_eq!(
        get("regions").await,
        json!([
            {"country": "GB", "region": "England", "visits": 1, "clicks": 1, "dialogs": 1,
             "click_to_chat": 1.0},
            {"country": "RU", "region": "Moscow", "visits": 2, "clicks": 0, "dialogs": 0,
             "click_to_chat": null},
        ])
    );
    assert_eq!(
        get("devices").await,
        json!([
            {"device": "smartphone", "os": "iPhone", "visits": 1, "clicks": 1, "dialogs": 1,
             "click_to_chat": 1.0},
            {"device": "pc", "os": "Windows 10", "visits": 2, "clicks": 0, "dialogs": 0,
             "click_to_chat": null},
        ])
    );
    let browsers = get("browsers").await;
    assert_eq!(browsers[0]["browser"], "Safari", "{browsers}");
    assert_eq!(browsers[1]["browser"], "Chrome", "{browsers}");
    assert_eq!(browsers[1]["visits"], 2, "{browsers}");
    assert_eq!(
        app.db.rollup_drift(app.site.id).await.unwrap(),
        Vec::<String>::new()
    );
}

async fn the_bucket_still_filling_is_marked_partial(backend: Backend) {
    let app = spawn_app(backend).await;
    let analyst = create_token(&app.store, &app.site, Role::Analyst).await;
    // A dialog now, so the grid has a channel (its rows are bucket × channel).
    let now = chrono::Utc::now();
    let body = whatsapp_text(
        "wamid.now-1",
        "447700900222",
        "Ann",
        "Hello",
        now.timestamp(),
    );
    app.post_whatsapp(&body).await;
    let today = now.date_naive();
    let from = today - chrono::Days::new(20);
    let resp = app
        .http
        .get(format!(
            "{}/api/v1/reports/dynamics?from={from}&to={today}&granularity=week",
            app.base
        ))
        .bearer_auth(&analyst)
        .send()
        .await
        .unwrap();
    let body: Value = resp.json().await.unwrap();
    let rows = body["rows"].as_array().unwrap();
    let last = rows
        .iter()
        .map(|r| r["index"].as_i64().unwrap())
        .max()
        .unwrap();
    for r in rows {
        let partial = r["index"].as_i64().unwrap() == last;
        assert_eq!(r["partial"], partial, "{r}");
    }
}

async fn the_dialogs_list_exports_as_csv_page_after_page(backend: Backend) {
    let app = spawn_app(backend).await;
    // More dialogs than a page of the export (500) holds.
    let opts = chatrail_collector::generate::GenerateOptions {
        sessions: 3000,
        dialogs: 620,
        months: 2,
        ..Default::default()
    };
    chatrail_collector::generate::generate(&app.db, &app.site, &opts, |_| {})
        .await
        .unwrap();
    let body = whatsapp_text(
        "wamid.csv-1",
        "79161112233",
        "Пётр, \"Петя\"",
        "Цена?\nСрочно",
        FIXTURE_T,
    );
    app.post_whatsapp(&body).await;
    let (dialogs,): (i64,) = app
        .db
        .fetch_optional("SELECT COUNT(*) FROM dialogs", vec![])
        .await
        .unwrap()
        .unwrap();
    assert!(dialogs > 600, "{dialogs}");

    let resp = app.api_get("/api/v1/dialogs?format=csv").await;
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let disposition = resp.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(disposition.contains("dialogs_"), "{disposition}");
    let text = resp.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header[..3], ["started_at", "contact_name", "contact_phone"]);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len() as i64, dialogs, "every dialog, across pages");
    let ids: std::collections::HashSet<&str> = rows.iter().map(|r| &r[10]).collect();
    assert_eq!(ids.len(), rows.len(), "no dialog twice");
    let petr = rows
        .iter()
        .find(|r| &r[2] == "79161112233")
        .expect("the chat");
    assert_eq!((&petr[1], &petr[3]), ("Пётр, \"Петя\"", "Цена?\nСрочно"));
    // The list's filters apply; Accept asks for CSV too.
    let exact = app
        .http
        .get(format!(
            "{}/api/v1/dialogs?match=none&q=79161112233",
            app.base
        ))
        .bearer_auth(&app.token)
        .header("accept", "text/csv")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        exact.lines().count(),
        3,
        "a header and one dialog (its text has a line break): {exact}"
    );
    let bad = app.api_get("/api/v1/dialogs?format=xml").await;
    assert_eq!(bad.status(), 400);
}

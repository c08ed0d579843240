//! Reports over real HTTP on both backends, from hand-built data whose numbers are known.
//!
//! The site is in Europe/Berlin; the data sits around the spring-forward change of
//! 2025-03-30, so local days and hours differ from UTC ones.

mod generated;
mod realistic;

use generated::generated_data_gives_consistent_totals;
use realistic::generated_traffic_looks_real;

use chatrail_collector::domain::dialog::{DialogKind, MatchKind};
use chatrail_collector::domain::page::page_key;
use chatrail_collector::domain::tag::Tag;
use chatrail_collector::domain::token::Role;
use chatrail_collector::generate::{
    self, SyntheticBatch, SyntheticClick, SyntheticContact, SyntheticDialog, SyntheticSession,
};
use chatrail_collector::storage::DialogListQuery;
use chatrail_tests::app::{create_token, spawn_app, Backend, TestApp};
use chatrail_tests::on_both_backends;
use serde_json::{json, Value};
use uuid::Uuid;

on_both_backends!(
    shares_pages_and_funnels_count_the_hand_built_traffic,
    dynamics_bucket_by_local_day_across_dst_with_comparisons,
    busiest_hours_are_local_weekday_and_hour,
    a_new_half_hour_time_zone_recounts_days_and_hours,
    csv_is_served_and_escaped,
    bad_parameters_are_400_and_operators_are_403,
    the_tag_filter_counts_tagged_dialogs_only,
    generated_data_gives_consistent_totals,
    generated_traffic_looks_real,
);

/// Epoch ms of a UTC wall time.
fn utc(s: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(s)
        .expect("RFC 3339 time")
        .timestamp_millis()
}

const PAGE_A: &str = "https://shop.test/a?x=1";
const PAGE_B: &str = "https://shop.test/b";
const PAGE_ODD: &str = "https://shop.test/p,\"q\"";
/// The pages as reports count them (`domain::page`).
const KEY_A: &str = "/a";
const KEY_B: &str = "/b";
const KEY_ODD: &str = "/p,\"q\"";

struct Fixture {
    app: TestApp,
    analyst: String,
}

fn session(
    channel: &str,
    campaign: Option<&str>,
    content: Option<&str>,
    term: Option<&str>,
    landing: &str,
    at: i64,
) -> SyntheticSession {
    SyntheticSession {
        session_id: Uuid::new_v4(),
        visitor_id: Uuid::new_v4(),
        code: "abc123".into(),
        started_at: at,
        pageviews: 1,
        landing_page: landing.into(),
        landing_key: page_key(landing, &[]),
        utm_campaign: campaign.map(Into::into),
        utm_content: content.map(Into::into),
        utm_term: term.map(Into::into),
        channel: channel.into(),
        ..SyntheticSession::default()
    }
}

fn click(s: &SyntheticSession, page: &str, at: i64) -> SyntheticClick {
    SyntheticClick {
        click_id: Uuid::new_v4(),
        session_id: s.session_id,
        visitor_id: s.visitor_id,
        code: s.code.clone(),
        number: "79001234567".into(),
        page_url: page.into(),
        page_key: page_key(page, &[]),
        clicked_at: at,
    }
}

fn dialog(
    contact: &SyntheticContact,
    kind: &str,
    match_kind: &str,
    click: Option<&SyntheticClick>,
    at: i64,
) -> SyntheticDialog {
    SyntheticDialog {
        dialog_id: Uuid::new_v4(),
        contact_id: contact.contact_id,
        kind: DialogKind::parse(kind).unwrap(),
        started_at: at,
        business_number: "79001234567".into(),
        first_message: Some("hi".into()),
        match_kind: MatchKind::parse(match_kind).unwrap(),
        session_id: click.map(|c| c.session_id),
        click_id: click.map(|c| c.click_id),
        code: None,
        confidence: None,
        referral_id: None,
        tags: Vec::new(),
    }
}

fn contact(phone: &str) -> SyntheticContact {
    SyntheticContact {
        contact_id: Uuid::new_v4(),
        phone: phone.into(),
        name: None,
        first_seen_at: 0,
    }
}

/// Four sessions, five clicks, five dialogs (one in February) on a Berlin site.
async fn fixture(backend: Backend) -> Fixture {
    let app = spawn_app(backend).await;
    app.store
        .set_site_timezone(app.site.id, "Europe/Berlin")
        .await
        .unwrap();
    let analyst = create_token(&app.store, &app.site, Role::Analyst).await;
    let s1 = session(
        "Paid Search",
        Some("spring"),
        Some("ad-a"),
        Some("shoes"),
        "https://shop.test/a",
        utc("2025-03-10T09:00:00Z"),
    );
    let s2 = session(
        "Paid Search",
        Some("brand"),
        Some("ad-b"),
        Some("brand"),
        "https://shop.test/b",
        utc("2025-03-11T09:00:00Z"),
    );
    let s3 = session(
        "Organic Search",
        None,
        None,
        None,
        "https://shop.test/a",
        utc("2025-03-12T13:00:00Z"),
    );
    // 00:30 on 31 March in Berlin (CEST), still 30 March in UTC.
    let s4 = session(
        "Email",
        Some("newsletter"),
        None,
        None,
        "https://shop.test/n",
        utc("2025-03-30T22:30:00Z"),
    );
    let c1 = click(&s1, PAGE_A, utc("2025-03-10T09:05:00Z"));
    let c2 = click(&s2, PAGE_B, utc("2025-03-11T09:05:00Z"));
    let c3 = click(&s2, PAGE_B, utc("2025-03-11T09:06:00Z"));
    let c4 = click(&s3, PAGE_A, utc("2025-03-12T13:30:00Z"));
    let c5 = click(&s4, PAGE_ODD, utc("2025-03-30T22:35:00Z"));
    let (a, b, c, d) = (
        contact("491700000001"),
        contact("491700000002"),
        contact("491700000003"),
        contact("491700000004"),
    );
    let dialogs = vec![
        // Monday 10:10 local.
        dialog(&a, "new", "exact", Some(&c1), utc("2025-03-10T09:10:00Z")),
        // Wednesday 15:00 local.
        dialog(
            &b,
            "new",
            "probable",
            Some(&c4),
            utc("2025-03-12T14:00:00Z"),
        ),
        // Sunday 03:30 local, just after the clocks went forward; no session.
        dialog(&a, "repeat", "none", None, utc("2025-03-30T01:30:00Z")),
        // Monday 00:40 local on the 31st.
        dialog(&c, "new", "exact", Some(&c5), utc("2025-03-30T22:40:00Z")),
        // February, for comparisons.
        dialog(&d, "new", "none", None, utc("2025-02-20T12:00:00Z")),
    ];
    let batch = SyntheticBatch {
        sessions: vec![s1, s2, s3, s4],
        clicks: vec![c1, c2, c3, c4, c5],
        contacts: vec![a, b, c, d],
        dialogs,
        ..SyntheticBatch::default()
    };
    generate::insert(&app.db, app.site.id, &batch)
        .await
        .unwrap();
    Fixture { app, analyst }
}

impl Fixture {
    async fn get(&self, path_and_query: &str) -> reqwest::Response {
        self.app
            .http
            .get(format!("{}/api/v1/reports/{path_and_query}", self.app.base))
            .bearer_auth(&self.analyst)
            .send()
            .await
            .expect("report request")
    }

    async fn json(&self, path_and_query: &str) -> Value {
        let resp = self.get(path_and_query).await;
        assert_eq!(resp.status(), 200, "{path_and_query}");
        resp.json().await.unwrap()
    }

    /// The rows of a report, as JSON objects.
    async fn rows(&self, path_and_query: &str) -> Vec<Value> {
        self.json(path_and_query).await["rows"]
            .as_array()
            .unwrap()
            .clone()
    }
}

const MARCH: &str = "from=2025-03-01&to=2025-03-31";

async fn shares_pages_and_funnels_count_the_hand_built_traffic(backend: Backend) {
    let f = fixture(backend).await;
    let report = f.json(&format!("new-repeat?{MARCH}")).await;
    assert_eq!(report["timezone"], "Europe/Berlin");
    assert_eq!(
        report["rows"],
        json!([
            {"kind": "new", "dialogs": 3, "share": 0.75},
            {"kind": "repeat", "dialogs": 1, "share": 0.25},
        ])
    );
    assert_eq!(
        f.rows(&format!("match-quality?{MARCH}")).await,
        vec![
            json!({"match_kind": "exact", "dialogs": 2, "share": 0.5}),
            json!({"match_kind": "referral", "dialogs": 0, "share": 0.0}),
            json!({"match_kind": "probable", "dialogs": 1, "share": 0.25}),
            json!({"match_kind": "none", "dialogs": 1, "share": 0.25}),
        ]
    );
    assert_eq!(
        f.rows(&format!("pages?{MARCH}")).await,
        vec![
            json!({"page": KEY_A, "clicks": 2, "dialogs": 2, "click_to_chat": 1.0}),
            json!({"page": KEY_ODD, "clicks": 1, "dialogs": 1, "click_to_chat": 1.0}),
            json!({"page": KEY_B, "clicks": 2, "dialogs": 0, "click_to_chat": 0.0}),
        ]
    );
    let channels = f.rows(&format!("channels?{MARCH}")).await;
    assert!(
        channels.contains(&json!({"channel": "Paid Search", "visits": 2, "clicks": 3,
        "dialogs": 1, "click_to_chat": 0.3333}))
    );
    assert!(
        channels.contains(&json!({"channel": null, "visits": 0, "clicks": 0,
        "dialogs": 1, "click_to_chat": null}))
    );
    // The brand campaign brings clicks but no chats, and still shows.
    let campaigns = f.rows(&format!("campaigns?{MARCH}")).await;
    assert_eq!(campaigns.len(), 3);
    assert!(
        campaigns.contains(&json!({"campaign": "brand", "channel": "Paid Search",
        "visits": 1, "clicks": 2, "dialogs": 0, "click_to_chat": 0.0}))
    );
    assert!(
        campaigns.contains(&json!({"campaign": "spring", "channel": "Paid Search",
        "visits": 1, "clicks": 1, "dialogs": 1, "click_to_chat": 1.0}))
    );
    let keywords = f.rows(&format!("keywords?{MARCH}")).await;
    assert_eq!(keywords[0]["keyword"], "shoes");
    assert_eq!(
        f.rows(&format!("ads?{MARCH}&limit=1")).await,
        vec![
            json!({"ad": "ad-a", "campaign": "spring", "visits": 1, "clicks": 1,
            "dialogs": 1, "click_to_chat": 1.0})
        ]
    );
    let landing = f.rows(&format!("landing-pages?{MARCH}")).await;
    assert_eq!(
        landing[0],
        json!({"landing_page": KEY_A, "visits": 2, "clicks": 2,
            "dialogs": 2, "click_to_chat": 1.0})
    );
    // Filters: channel, campaign, match kind, tracked number in any notation.
    let paid = f
        .rows(&format!("new-repeat?{MARCH}&channel=Paid%20Search"))
        .await;
    assert_eq!(paid[0]["dialogs"], 1);
    assert_eq!(paid[1]["dialogs"], 0);
    let none = f.rows(&format!("new-repeat?{MARCH}&match=none")).await;
    assert_eq!(
        (none[0]["dialogs"].clone(), none[1]["dialogs"].clone()),
        (json!(0), json!(1))
    );
    let by_campaign = f.rows(&format!("pages?{MARCH}&campaign=brand")).await;
    assert_eq!(by_campaign.len(), 1);
    let other_number = f
        .rows(&format!("new-repeat?{MARCH}&number=%2B44%207700%20900123"))
        .await;
    assert_eq!(other_number[0]["dialogs"], 0);
    let our_number = f
        .rows(&format!("new-repeat?{MARCH}&number=%2B7%20900%20123-45-67"))
        .await;
    assert_eq!(our_number[0]["dialogs"], 3);
}

async fn dynamics_bucket_by_local_day_across_dst_with_comparisons(backend: Backend) {
    let f = fixture(backend).await;
    let report = f
        .json("dynamics?from=2025-03-29&to=2025-03-31&granularity=day")
        .await;
    let rows = report["rows"].as_array().unwrap();
    let count = |bucket: &str, channel: Value| {
        rows.iter()
            .find(|r| r["bucket"] == bucket && r["channel"] == channel)
            .map(|r| r["dialogs"].as_i64().unwrap())
    };
    // 3 days × 2 channels (Email, unattributed), zeros included.
    assert_eq!(rows.len(), 6);
    assert_eq!(count("2025-03-30", Value::Null), Some(1));
    assert_eq!(count("2025-03-30", json!("Email")), Some(0));
    assert_eq!(
        count("2025-03-31", json!("Email")),
        Some(1),
        "local, not UTC, day"
    );
    assert_eq!(count("2025-03-29", Value::Null), Some(0));

    let month = f
        .json(&format!(
            "dynamics?{MARCH}&granularity=month&compare=custom&compare_from=2025-02-01&compare_to=2025-02-28"
        ))
        .await;
    assert_eq!(month["compare_from"], "2025-02-01");
    let rows = month["rows"].as_array().unwrap();
    let total = |period: &str| -> i64 {
        rows.iter()
            .filter(|r| r["period"] == period)
            .map(|r| r["dialogs"].as_i64().unwrap())
            .sum()
    };
    assert_eq!((total("current"), total("comparison")), (4, 1));
    assert!(rows.contains(
        &json!({"period": "comparison", "index": 0, "bucket": "2025-02-01",
        "channel": null, "dialogs": 1, "partial": false})
    ));
    assert!(
        rows.iter().all(|r| r["partial"] == false),
        "March 2025 is over: no bucket is partial"
    );

    let previous = f.json(&format!("dynamics?{MARCH}&compare=previous")).await;
    assert_eq!(
        (
            previous["compare_from"].clone(),
            previous["compare_to"].clone()
        ),
        (json!("2025-01-29"), json!("2025-02-28"))
    );
    let year = f
        .json(&format!("dynamics?{MARCH}&granularity=week&compare=year"))
        .await;
    assert_eq!(year["compare_from"], "2024-03-01");
    let rows = year["rows"].as_array().unwrap();
    assert!(rows
        .iter()
        .filter(|r| r["period"] == "comparison")
        .all(|r| r["dialogs"] == 0));
    assert_eq!(rows[0]["bucket"], "2025-02-24", "weeks start on Monday");
}

async fn busiest_hours_are_local_weekday_and_hour(backend: Backend) {
    let f = fixture(backend).await;
    let rows = f.rows(&format!("hours?{MARCH}")).await;
    assert_eq!(rows.len(), 7 * 24);
    let busy: Vec<(String, i64)> = rows
        .iter()
        .filter(|r| r["dialogs"] != 0)
        .map(|r| {
            (
                r["day"].as_str().unwrap().to_owned(),
                r["hour"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        busy,
        vec![
            ("Mon".into(), 0),
            ("Mon".into(), 10),
            ("Wed".into(), 15),
            ("Sun".into(), 3)
        ]
    );
}

async fn csv_is_served_and_escaped(backend: Backend) {
    let f = fixture(backend).await;
    let resp = f
        .app
        .http
        .get(format!("{}/api/v1/reports/pages?{MARCH}", f.app.base))
        .bearer_auth(&f.analyst)
        .header("accept", "text/csv")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    assert!(resp.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("pages_2025-03-01_2025-03-31.csv"));
    let body = resp.text().await.unwrap();
    assert_eq!(
        body,
        "page,clicks,dialogs,click_to_chat\n\
         /a,2,2,1.0\n\
         \"/p,\"\"q\"\"\",1,1,1.0\n\
         /b,2,0,0.0\n"
    );
    let channels = f
        .get(&format!("channels?{MARCH}&format=csv"))
        .await
        .text()
        .await
        .unwrap();
    assert!(channels.starts_with("channel,visits,clicks,dialogs,click_to_chat\n"));
    assert!(
        channels.contains("\n,0,0,1,\n"),
        "NULL is an empty field: {channels}"
    );
}

async fn bad_parameters_are_400_and_operators_are_403(backend: Backend) {
    let f = fixture(backend).await;
    for (query, names) in [
        ("new-repeat?to=2025-03-31", "from"),
        ("new-repeat?from=2025-03-01&to=2025-13-01", "to"),
        ("new-repeat?from=2025-03-10&to=2025-03-01", "to"),
        ("new-repeat?from=2020-01-01&to=2025-03-01", "from"),
        ("nope?from=2025-03-01&to=2025-03-31", "nope"),
        (
            "new-repeat?from=2025-03-01&to=2025-03-31&match=maybe",
            "match",
        ),
        (
            "new-repeat?from=2025-03-01&to=2025-03-31&number=12",
            "number",
        ),
        ("pages?from=2025-03-01&to=2025-03-31&limit=0", "limit"),
        (
            "dynamics?from=2025-03-01&to=2025-03-31&granularity=hour",
            "granularity",
        ),
        (
            "dynamics?from=2025-03-01&to=2025-03-31&compare=last",
            "compare",
        ),
        (
            "dynamics?from=2025-03-01&to=2025-03-31&compare=custom",
            "compare_from",
        ),
        (
            "new-repeat?from=2025-03-01&to=2025-03-31&format=xml",
            "format",
        ),
        (
            "new-repeat?from=2025-03-01&to=2025-03-31&colour=red",
            "colour",
        ),
        ("new-repeat?from=2025-03-01&to=2025-03-31&tag=a%2Fb", "tag"),
    ] {
        let resp = f.get(query).await;
        assert_eq!(resp.status(), 400, "{query}");
        let body: Value = resp.json().await.unwrap();
        let error = body["error"].as_str().unwrap();
        assert!(error.contains(names), "{query}: {error}");
    }
    let operator = f
        .app
        .http
        .get(format!("{}/api/v1/reports/new-repeat?{MARCH}", f.app.base))
        .bearer_auth(&f.app.token)
        .send()
        .await
        .unwrap();
    assert_eq!(operator.status(), 403);
    let anonymous = f
        .app
        .http
        .get(format!("{}/api/v1/reports/new-repeat?{MARCH}", f.app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
}

async fn the_tag_filter_counts_tagged_dialogs_only(backend: Backend) {
    let f = fixture(backend).await;
    let (store, site) = (&f.app.store, f.app.site.id);
    let dialogs = store
        .list_dialogs(
            site,
            &DialogListQuery {
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let find = |kind: &str, match_kind: &str| {
        dialogs
            .iter()
            .find(|d| d.kind.as_str() == kind && d.match_kind.as_str() == match_kind)
            .map(|d| d.dialog_id)
            .unwrap()
    };
    let hot = Tag::parse("Hot Lead").unwrap();
    let cold = Tag::parse("cold").unwrap();
    // The Paid Search exact dialog and the unattributed repeat one are hot, the probable
    // one cold.
    let paid = dialogs
        .iter()
        .find(|d| d.channel.as_deref() == Some("Paid Search"))
        .unwrap()
        .dialog_id;
    store.add_tag(site, paid, &hot).await.unwrap();
    store
        .add_tag(site, find("repeat", "none"), &hot)
        .await
        .unwrap();
    store
        .add_tag(site, find("new", "probable"), &cold)
        .await
        .unwrap();

    let kinds = f.rows(&format!("new-repeat?{MARCH}&tag=hot%20LEAD")).await;
    assert_eq!(
        (kinds[0]["dialogs"].clone(), kinds[1]["dialogs"].clone()),
        (json!(1), json!(1))
    );
    // Visits and clicks have no tags: only the dialogs column is filtered.
    let channels = f.rows(&format!("channels?{MARCH}&tag=hot%20lead")).await;
    assert!(
        channels.contains(&json!({"channel": "Paid Search", "visits": 2, "clicks": 3,
        "dialogs": 1, "click_to_chat": 0.3333})),
        "{channels:?}"
    );
    assert!(
        channels.contains(&json!({"channel": null, "visits": 0, "clicks": 0,
        "dialogs": 1, "click_to_chat": null}))
    );
    assert!(channels
        .iter()
        .filter(|r| r["channel"] == "Organic Search" || r["channel"] == "Email")
        .all(|r| r["dialogs"] == 0));
    let quality = f.rows(&format!("match-quality?{MARCH}&tag=cold")).await;
    assert_eq!(
        quality
            .iter()
            .map(|r| r["dialogs"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        [0, 0, 1, 0]
    );
    let both = f
        .rows(&format!("new-repeat?{MARCH}&tag=hot%20lead&match=exact"))
        .await;
    assert_eq!(
        (both[0]["dialogs"].clone(), both[1]["dialogs"].clone()),
        (json!(1), json!(0))
    );
    let hours = f.rows(&format!("hours?{MARCH}&tag=unused")).await;
    assert!(hours.iter().all(|r| r["dialogs"] == 0));
}

/// Rollups are per UTC slot: a time zone change needs no rebuild, and a zone with a half-hour
/// offset gets exact local hours and days (from the fact tables).
async fn a_new_half_hour_time_zone_recounts_days_and_hours(backend: Backend) {
    let f = fixture(backend).await;
    let (store, site) = (&f.app.store, f.app.site.id);
    store.set_site_timezone(site, "Asia/Kolkata").await.unwrap();
    assert!(store.rollup_drift(site).await.unwrap().is_empty());
    let rows = f.rows(&format!("hours?{MARCH}")).await;
    let busy: Vec<(String, i64, i64)> = rows
        .iter()
        .filter(|r| r["dialogs"] != 0)
        .map(|r| {
            let day = r["day"].as_str().unwrap().to_owned();
            (
                day,
                r["hour"].as_i64().unwrap(),
                r["dialogs"].as_i64().unwrap(),
            )
        })
        .collect();
    // UTC+5:30: 09:10Z → 14:40, 22:40Z on Sunday → 04:10 on Monday, 14:00Z → 19:30,
    // 01:30Z → 07:00.
    assert_eq!(
        busy,
        vec![
            ("Mon".into(), 4, 1),
            ("Mon".into(), 14, 1),
            ("Wed".into(), 19, 1),
            ("Sun".into(), 7, 1)
        ]
    );
    let report = f
        .json("dynamics?from=2025-03-30&to=2025-03-31&granularity=day")
        .await;
    assert_eq!(report["timezone"], "Asia/Kolkata");
    let per_day: Vec<(String, Value, i64)> = report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["dialogs"] != 0)
        .map(|r| {
            let bucket = r["bucket"].as_str().unwrap().to_owned();
            (bucket, r["channel"].clone(), r["dialogs"].as_i64().unwrap())
        })
        .collect();
    assert_eq!(
        per_day,
        vec![
            ("2025-03-30".into(), Value::Null, 1),
            ("2025-03-31".into(), json!("Email"), 1)
        ]
    );
    let kinds = f.rows(&format!("new-repeat?{MARCH}")).await;
    assert_eq!(
        (kinds[0]["dialogs"].clone(), kinds[1]["dialogs"].clone()),
        (json!(3), json!(1))
    );
}

//! The generator's traffic looks like real traffic, checked on the stored rows and through
//! the collector's own code: first messages carry the session's code in the site's (or the
//! page's) template and the real matcher finds that session; sessions have places, devices
//! as the user-agent parser names them, screens, click ids and Cyrillic paths; every dialog
//! has messages and the business's replies have delivery statuses (some failed); no click
//! has two dialogs and no rate is over 100%; Click-to-WhatsApp is spelt one way. And the same
//! seed gives the same rows.

use std::collections::{HashMap, HashSet};

use chatrail_collector::args;
use chatrail_collector::domain::inbound::{ContactIdentity, InboundMessage};
use chatrail_collector::domain::provider::{ChatChannel, Provider};
use chatrail_collector::domain::token::Role;
use chatrail_collector::generate::{generate, GenerateOptions};
use chatrail_collector::matching::DialogPolicy;
use chatrail_collector::storage::IngestOutcome;
use chatrail_core::code::find_codes;
use chatrail_tests::app::{create_token, spawn_app, Backend, TestApp};
use serde_json::Value;
use uuid::Uuid;

const END_MS: i64 = 1_750_000_000_000;
/// Messages sent on pages under it carry its template.
const PAGE_TEMPLATE: &str = "{text} — код {code}";
const PAGE_TEXT: &str = "Здравствуйте! Вопрос по каталогу";

fn options(seed: u64) -> GenerateOptions {
    GenerateOptions {
        sessions: 6_000,
        dialogs: 600,
        months: 3,
        end_ms: END_MS,
        seed,
        ..GenerateOptions::default()
    }
}

/// The test site with a page rule for the catalogue, filled by the generator.
async fn filled(backend: Backend, seed: u64) -> (TestApp, String) {
    let app = spawn_app(backend).await;
    let admin = create_token(&app.store, &app.site, Role::Admin).await;
    let url = format!("{}/api/v1/site", app.base);
    let mut settings: Value = app
        .http
        .get(&url)
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    settings["pages"] = serde_json::json!([
        {"path": "/каталог/*", "text": PAGE_TEXT, "template": PAGE_TEMPLATE}
    ]);
    for k in ["key", "script_tag", "webhooks"] {
        settings.as_object_mut().unwrap().remove(k);
    }
    let saved = app
        .http
        .put(&url)
        .bearer_auth(&admin)
        .json(&settings)
        .send()
        .await
        .unwrap();
    assert_eq!(saved.status(), 200, "{}", saved.text().await.unwrap());
    let site = app.store.site_by_id(app.site.id).await.unwrap().unwrap();
    generate(&app.db, &site, &options(seed), |_| {})
        .await
        .expect("generated");
    let analyst = create_token(&app.store, &app.site, Role::Analyst).await;
    (app, analyst)
}

async fn rows<T>(app: &TestApp, sql: &str) -> Vec<T>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
        + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
        + Send
        + Unpin,
{
    app.db
        .fetch_all(sql, args![app.site.id.0])
        .await
        .expect(sql)
}

async fn report(app: &TestApp, token: &str, name: &str) -> Vec<Value> {
    let resp = app
        .http
        .get(format!(
            "{}/api/v1/reports/{name}?from=2025-03-01&to=2025-06-16&limit=1000",
            app.base
        ))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{name}");
    let body: Value = resp.json().await.unwrap();
    body["rows"].as_array().unwrap().clone()
}

pub async fn generated_traffic_looks_real(backend: Backend) {
    let (app, analyst) = filled(backend, 7).await;
    type Dialog = (
        Uuid,
        String,
        Option<String>,
        Option<Uuid>,
        Option<Uuid>,
        i64,
    );
    let dialogs: Vec<Dialog> = rows(
        &app,
        "SELECT dialog_id, match_kind, first_message, session_id, click_id, started_at \
         FROM dialogs WHERE site_id = $1 ORDER BY started_at",
    )
    .await;
    assert_eq!(dialogs.len(), 600);
    let kinds: HashMap<&str, usize> = dialogs.iter().fold(HashMap::new(), |mut m, d| {
        *m.entry(d.1.as_str()).or_default() += 1;
        m
    });
    for kind in ["exact", "probable", "referral", "none"] {
        assert!(kinds.get(kind).copied().unwrap_or(0) > 10, "{kinds:?}");
    }

    // First messages of exact matches carry their session's code in the template of the
    // page clicked (the catalogue's) or the site's; the others carry none.
    let sessions: HashMap<Uuid, String> = rows::<(Uuid, String)>(
        &app,
        "SELECT session_id, code FROM sessions WHERE site_id = $1",
    )
    .await
    .into_iter()
    .collect();
    let pages: HashMap<Uuid, String> = rows::<(Uuid, String)>(
        &app,
        "SELECT click_id, page_url FROM clicks WHERE site_id = $1",
    )
    .await
    .into_iter()
    .collect();
    let (mut in_page_template, mut in_site_template) = (0, 0);
    for (id, kind, first, session, click, _) in &dialogs {
        let first = first.as_deref().expect("a first message");
        let codes = find_codes(first);
        if kind != "exact" {
            assert!(codes.is_empty(), "{kind} dialog {id}: {first}");
            continue;
        }
        let code = &sessions[&session.expect("a session")];
        assert_eq!(codes.len(), 1, "{first}");
        assert_eq!(codes[0].as_str(), code, "{first}");
        let page = &pages[&click.expect("a click")];
        if page.contains("/%D0%BA%D0%B0%D1%82%D0%B0%D0%BB%D0%BE%D0%B3/") {
            assert_eq!(first, format!("{PAGE_TEXT} — код {code}"));
            in_page_template += 1;
        } else {
            assert!(first.ends_with(&format!(" (ref {code})")), "{first}");
            in_site_template += 1;
        }
    }
    assert!(in_page_template > 0 && in_site_template > 0);

    // One dialog per click at most, and a share of the clicks chat.
    let twice: Vec<(Uuid, i64)> = rows(
        &app,
        "SELECT click_id, COUNT(*) FROM dialogs WHERE site_id = $1 AND click_id IS NOT NULL \
         GROUP BY click_id HAVING COUNT(*) > 1",
    )
    .await;
    assert_eq!(twice, []);
    let channels = report(&app, &analyst, "channels").await;
    let (clicks, from_clicks) = channels.iter().fold((0, 0), |(c, d), r| {
        let rate = r["click_to_chat"].as_f64().unwrap_or(0.0);
        assert!((0.0..=1.0).contains(&rate), "{r}");
        (
            c + r["clicks"].as_i64().unwrap(),
            d + r["dialogs"].as_i64().unwrap(),
        )
    });
    let rate = (kinds["exact"] + kinds["probable"]) as f64 / clicks as f64;
    assert!((0.2..0.6).contains(&rate), "{rate}: {channels:?}");
    assert!(from_clicks > 0);
    // Click-to-WhatsApp, spelt one way, with its ads by headline.
    let names: HashSet<&str> = channels
        .iter()
        .filter_map(|r| r["channel"].as_str())
        .collect();
    for name in [
        "Click-to-WhatsApp",
        "Paid Search",
        "Organic Search",
        "Paid Social",
    ] {
        assert!(names.contains(name), "{name} missing from {names:?}");
    }
    let ctwa = channels
        .iter()
        .find(|r| r["channel"] == "Click-to-WhatsApp")
        .unwrap();
    assert_eq!(ctwa["dialogs"].as_i64().unwrap(), kinds["referral"] as i64);
    let ads = report(&app, &analyst, "ads").await;
    assert!(
        ads.iter()
            .any(|r| r["ad"] == "Диваны со скидкой до 40% (120210556720440123)"),
        "{ads:?}"
    );

    // Landing pages: ad click ids in the URLs and the sessions; Cyrillic paths, decoded in
    // the report.
    let ids: Vec<(Option<String>,)> = rows(
        &app,
        "SELECT click_ids FROM sessions WHERE site_id = $1 AND click_ids IS NOT NULL",
    )
    .await;
    for id in ["gclid", "yclid", "fbclid"] {
        assert!(
            ids.iter()
                .any(|(j,)| j.as_deref().is_some_and(|j| j.contains(id))),
            "{id}"
        );
    }
    let landings = report(&app, &analyst, "landing-pages").await;
    assert!(
        landings.iter().any(|r| r["landing_page"]
            .as_str()
            .is_some_and(|p| p.ends_with("/каталог/диваны"))),
        "{landings:?}"
    );

    // Places, devices, browsers, screens and names.
    type Visit = (Option<String>, Option<String>, Option<String>, Option<i32>);
    let visits: Vec<Visit> = rows(
        &app,
        "SELECT country, region, device, screen_w FROM sessions WHERE site_id = $1",
    )
    .await;
    let placed = visits.iter().filter(|v| v.1.is_some()).count();
    assert!(placed * 100 > visits.len() * 90, "{placed}");
    assert!(visits.iter().all(|v| v.3.is_some()));
    let devices: HashSet<&str> = visits.iter().filter_map(|v| v.2.as_deref()).collect();
    assert_eq!(devices, HashSet::from(["smartphone", "pc"]));
    let regions = report(&app, &analyst, "regions").await;
    assert!(regions.len() >= 8, "{regions:?}");
    assert!(regions
        .iter()
        .any(|r| r["region"] == "Moscow" && r["dialogs"].as_i64().unwrap() > 0));
    let browsers = report(&app, &analyst, "browsers").await;
    let browsers: HashSet<&str> = browsers
        .iter()
        .filter_map(|r| r["browser"].as_str())
        .collect();
    for b in ["Chrome", "Safari", "Yandex Browser"] {
        assert!(browsers.contains(b), "{b} missing from {browsers:?}");
    }
    let names: Vec<(Option<String>,)> =
        rows(&app, "SELECT name FROM contacts WHERE site_id = $1").await;
    let names: Vec<&str> = names.iter().filter_map(|n| n.0.as_deref()).collect();
    let cyrillic = |s: &str| s.chars().any(|c| ('А'..='я').contains(&c));
    assert!(names.iter().any(|n| cyrillic(n)), "{names:?}");
    assert!(names.iter().any(|n| n.is_ascii()), "{names:?}");

    // Messages: every dialog has its contact's, the business answers with statuses (a few
    // failed), and the summary shows plausible numbers.
    let without: Vec<(Uuid,)> = rows(
        &app,
        "SELECT dialog_id FROM dialogs d WHERE site_id = $1 AND NOT EXISTS (SELECT 1 \
         FROM messages m WHERE m.site_id = d.site_id AND m.dialog_id = d.dialog_id)",
    )
    .await;
    assert_eq!(without, []);
    let statuses: Vec<(String, i64)> = rows(
        &app,
        "SELECT status, COUNT(*) FROM message_statuses WHERE site_id = $1 GROUP BY status \
         ORDER BY status",
    )
    .await;
    let statuses: HashMap<String, i64> = statuses.into_iter().collect();
    let sent: i64 = statuses.values().sum();
    for s in ["sent", "delivered", "read", "failed"] {
        assert!(statuses.get(s).copied().unwrap_or(0) > 0, "{statuses:?}");
    }
    assert!(statuses["failed"] * 100 < sent * 10, "{statuses:?}");
    assert!(statuses["read"] > sent / 2, "{statuses:?}");
    // Statuses move forward in time: sent, then delivered, then read; a failure is final.
    let backwards: Vec<(String,)> = rows(
        &app,
        "SELECT provider_message_id FROM message_statuses WHERE site_id = $1 \
         AND (delivered_at < sent_at OR read_at < delivered_at \
         OR (read_at IS NOT NULL AND delivered_at IS NULL) \
         OR (failed_at IS NOT NULL AND (delivered_at IS NOT NULL OR status <> 'failed')))",
    )
    .await;
    assert_eq!(backwards, []);
    // Every dialog keeps its first answer as the statuses define it, unanswered dialogs of a
    // contact who wrote again included.
    let stale: Vec<(Uuid,)> = rows(
        &app,
        "SELECT d.dialog_id FROM dialogs d JOIN contacts c ON c.site_id = d.site_id \
         AND c.contact_id = d.contact_id WHERE d.site_id = $1 \
         AND d.first_reply_at IS DISTINCT FROM (SELECT MIN(COALESCE(ms.sent_at, \
         ms.delivered_at, ms.read_at, ms.played_at, ms.failed_at, ms.status_at)) \
         FROM message_statuses ms WHERE ms.site_id = d.site_id AND ms.recipient = c.phone \
         AND COALESCE(ms.sent_at, ms.delivered_at, ms.read_at, ms.played_at, ms.failed_at, \
         ms.status_at) >= d.started_at)",
    )
    .await;
    assert_eq!(stale, []);
    let summary = &report(&app, &analyst, "summary").await[0];
    let n = |k: &str| {
        summary[k]
            .as_i64()
            .unwrap_or_else(|| panic!("{k}: {summary}"))
    };
    assert_eq!(n("dialogs"), 600, "{summary}");
    assert!(n("messages_received") > n("dialogs"), "{summary}");
    assert!(n("messages_sent") > n("dialogs"), "{summary}");
    assert!(
        n("read") < n("delivered") && n("delivered") < n("messages_sent"),
        "{summary}"
    );
    assert!(n("failed") > 0, "{summary}");
    let wait = n("median_first_response_s");
    assert!((30..4 * 3600).contains(&wait), "{summary}");
    // Some come back; over the whole history everyone's first dialog is in the period.
    assert!(n("contacts") < n("dialogs"), "{summary}");
    assert_eq!(n("new_contacts"), n("contacts"), "{summary}");

    // The card's thread: the contact's messages and the business's, with statuses.
    let exact = dialogs.iter().find(|d| d.1 == "exact").unwrap().0;
    let card: Value = app
        .api_get(&format!("/api/v1/dialogs/{exact}"))
        .await
        .json()
        .await
        .unwrap();
    let thread = card["messages"].as_array().unwrap();
    assert_eq!(thread[0]["direction"], "in", "{card:#}");
    assert_eq!(thread[0]["text"], card["first_message"], "{card:#}");
    assert!(
        thread
            .iter()
            .any(|m| m["direction"] == "out" && m["status"].is_string()),
        "{card:#}"
    );
    assert!(card["session"]["country"].is_string(), "{card:#}");
    assert!(card["session"]["click_ids"].is_object(), "{card:#}");

    // The real matcher: each exact first message, sent again by someone new at the same
    // moment, is matched to the same session by its code.
    let policy = DialogPolicy::default();
    for (i, (_, _, first, session, _, at)) in dialogs
        .iter()
        .filter(|d| d.1 == "exact")
        .take(40)
        .enumerate()
    {
        let message = InboundMessage {
            site_id: app.site.id,
            provider: Provider::WhatsApp,
            provider_message_id: format!("wamid.again-{i}"),
            business_number: app.site.numbers[0].number.clone(),
            contact: ContactIdentity {
                channel: ChatChannel::WhatsApp,
                phone: Some(format!("5500000{i:04}")),
                user_id: None,
                name: None,
                username: None,
            },
            message_type: "text".into(),
            text: first.clone(),
            sent_at_ms: *at,
            referral: None,
        };
        let IngestOutcome::Stored { dialog_id, .. } = app
            .store
            .ingest_message(&message, &policy)
            .await
            .expect("stored")
        else {
            panic!("a duplicate");
        };
        let (kind, matched): (String, Option<Uuid>) = app
            .db
            .fetch_optional(
                "SELECT match_kind, session_id FROM dialogs WHERE site_id = $1 \
                 AND dialog_id = $2",
                args![app.site.id.0, dialog_id],
            )
            .await
            .unwrap()
            .expect("the dialog");
        assert_eq!((kind.as_str(), matched), ("exact", *session));
    }

    // Rollups and copies agree with the facts after all of it.
    use chatrail_collector::reports::store::Reports;
    assert_eq!(
        app.db.rollup_drift(app.site.id).await.unwrap(),
        Vec::<String>::new()
    );
}

/// Digest of every generated row the seed decides.
async fn digest(app: &TestApp) -> Vec<String> {
    let mut out = Vec::new();
    for sql in [
        "SELECT hex(session_id) || code || landing_page || channel || COALESCE(region, '') \
         || COALESCE(browser, '') FROM sessions WHERE site_id = $1 ORDER BY 1",
        "SELECT hex(click_id) || page_url FROM clicks WHERE site_id = $1 ORDER BY 1",
        "SELECT hex(dialog_id) || match_kind || COALESCE(first_message, '') FROM dialogs \
         WHERE site_id = $1 ORDER BY 1",
        "SELECT provider_message_id || COALESCE(body, '') || sent_at FROM messages \
         WHERE site_id = $1 ORDER BY 1",
        "SELECT provider_message_id || status || status_at FROM message_statuses \
         WHERE site_id = $1 ORDER BY 1",
        "SELECT phone || COALESCE(name, '') FROM contacts WHERE site_id = $1 ORDER BY 1",
    ] {
        let rows: Vec<(String,)> = rows(app, sql).await;
        out.extend(rows.into_iter().map(|r| r.0));
    }
    out
}

#[tokio::test]
async fn the_same_seed_gives_the_same_rows() {
    let (a, _) = filled(Backend::Sqlite, 11).await;
    let (b, _) = filled(Backend::Sqlite, 11).await;
    let (c, _) = filled(Backend::Sqlite, 12).await;
    let (a, b, c) = (digest(&a).await, digest(&b).await, digest(&c).await);
    assert!(a.len() > 6_000);
    assert!(a == b, "the same seed gave different rows");
    assert!(a != c, "another seed gave the same rows");
}

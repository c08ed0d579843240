//! Retention: with a site's retention set over the API, the background task deletes exactly
//! the expired rows (visits and clicks older than 30 days but those a kept dialog came
//! from, dialogs and messages older than 60), and reports over expired, straddling and
//! recent periods answer the same totals as before, also after a rebuild of the rollups.

use std::time::Duration;

use chatrail_collector::conversions::{DestinationKind, Event, EventKind, NewDestination};
use chatrail_collector::domain::now_ms;
use chatrail_collector::domain::token::Role;
use chatrail_collector::generate::{generate, GenerateOptions};
use chatrail_collector::reports::rollups::DAY_MS;
use chatrail_collector::storage::conversions::record;
use chatrail_tests::app::{create_token, spawn_app_with, Backend, TestApp};
use chatrail_tests::on_both_backends;
use serde_json::{json, Value};

use super::reports::{counts, Counts};

on_both_backends!(retention_deletes_exactly_the_expired_rows_and_reports_still_answer);

/// Rows of each table, as `(sessions, clicks, dialogs, messages)`.
async fn rows(app: &TestApp) -> [i64; 4] {
    let mut out = [0; 4];
    for (i, table) in ["sessions", "clicks", "dialogs", "messages"]
        .iter()
        .enumerate()
    {
        let (n,): (i64,) = app
            .db
            .fetch_optional(&format!("SELECT COUNT(*) FROM {table}"), Vec::new())
            .await
            .unwrap()
            .unwrap();
        out[i] = n;
    }
    out
}

/// What retention must leave, by its rule written as one predicate per table: dialogs from
/// `hd` on; clicks from `hv` on or of a kept dialog; sessions from `hv` on, of a kept click
/// or dialog, or first of a visitor with a kept dialog; messages of kept dialogs, or
/// unlinked from `hd` on.
async fn expected(app: &TestApp, hv: i64, hd: i64) -> [i64; 4] {
    let kept_dialog = |alias: &str, column: &str| {
        format!(
            "EXISTS (SELECT 1 FROM dialogs d WHERE d.site_id = {alias}.site_id \
             AND d.{column} = {alias}.{column} AND d.started_at >= {hd})"
        )
    };
    let kept_click = format!("(c.clicked_at >= {hv} OR {})", kept_dialog("c", "click_id"));
    let queries = [
        format!(
            "SELECT COUNT(*) FROM sessions s WHERE s.started_at >= {hv} OR {} OR EXISTS \
             (SELECT 1 FROM clicks c WHERE c.site_id = s.site_id AND c.session_id = s.session_id \
             AND {kept_click}) OR EXISTS (SELECT 1 FROM visitors v JOIN sessions m \
             ON m.site_id = v.site_id AND m.visitor_id = v.visitor_id \
             WHERE v.site_id = s.site_id AND v.first_session_id = s.session_id AND {})",
            kept_dialog("s", "session_id"),
            kept_dialog("m", "session_id")
        ),
        format!("SELECT COUNT(*) FROM clicks c WHERE {kept_click}"),
        format!("SELECT COUNT(*) FROM dialogs WHERE started_at >= {hd}"),
        format!(
            "SELECT COUNT(*) FROM messages m WHERE (m.dialog_id IS NULL AND m.sent_at >= {hd}) \
             OR {}",
            kept_dialog("m", "dialog_id")
        ),
    ];
    let mut out = [0; 4];
    for (i, sql) in queries.iter().enumerate() {
        let (n,): (i64,) = app
            .db
            .fetch_optional(sql, Vec::new())
            .await
            .unwrap()
            .unwrap();
        out[i] = n;
    }
    out
}

fn date(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap()
        .format("%Y-%m-%d")
        .to_string()
}

async fn channels_report(app: &TestApp, token: &str, from_ms: i64, to_ms: i64) -> Value {
    let url = format!(
        "{}/api/v1/reports/channels?from={}&to={}",
        app.base,
        date(from_ms),
        date(to_ms - DAY_MS)
    );
    let resp = app.http.get(url).bearer_auth(token).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    resp.json().await.unwrap()
}

async fn retention_deletes_exactly_the_expired_rows_and_reports_still_answer(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.retention_every_seconds = 1).await;
    let opts = GenerateOptions {
        sessions: 3_000,
        dialogs: 400,
        months: 4,
        ..GenerateOptions::default()
    };
    generate(&app.db, &app.site, &opts, |_| {}).await.unwrap();
    let today = opts.end_ms.div_euclid(DAY_MS) * DAY_MS;
    let (hv, hd) = (today - 30 * DAY_MS, today - 60 * DAY_MS);
    let (first, dialog) = first_visit_long_ago(&app, hv, hd).await;
    // Expired, straddling both horizons, everything, and recent only.
    let periods = [
        (hd - 30 * DAY_MS, hd),
        (hd - 5 * DAY_MS, hv + 5 * DAY_MS),
        (today - 200 * DAY_MS, today + DAY_MS),
        (hv, today + DAY_MS),
    ];
    let mut before: Vec<Counts> = Vec::new();
    for (from, to) in periods {
        before.push(counts(&app, from, to, true).await);
    }
    let admin = create_token(&app.store, &app.site, Role::Admin).await;
    let report_before = channels_report(&app, &admin, periods[0].0, periods[0].1).await;
    // A conversion event (and its delivery, retried: nothing listens on the discard port)
    // on the oldest dialog and on the newest: the first expires with its dialog.
    let conversions = conversion_events_on_oldest_and_newest(&app).await;
    let want = expected(&app, hv, hd).await;
    let had = rows(&app).await;
    for i in 0..3 {
        assert!(
            want[i] < had[i],
            "something expires in table {i}: {want:?} of {had:?}"
        );
        assert!(want[i] > 0, "something stays in table {i}: {want:?}");
    }

    let put = |body: Value| {
        app.http
            .put(format!("{}/api/v1/site/retention", app.base))
            .bearer_auth(admin.clone())
            .json(&body)
            .send()
    };
    assert_eq!(put(json!({"visits_days": 0})).await.unwrap().status(), 400);
    let saved = put(json!({"visits_days": 30, "dialogs_days": 60}))
        .await
        .unwrap();
    assert_eq!(saved.status(), 200);
    // The background task runs every second here.
    let started = std::time::Instant::now();
    while rows(&app).await != want {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "retention left {:?}, expected {want:?}",
            rows(&app).await
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (old,): (i64,) = app
        .db
        .fetch_optional(
            &format!("SELECT COUNT(*) FROM messages WHERE sent_at < {hd}"),
            Vec::new(),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(old, 0, "messages older than 60 days");
    for table in ["conversion_events", "conversion_deliveries"] {
        let (left,): (i64,) = app
            .db
            .fetch_optional(&format!("SELECT COUNT(*) FROM {table}"), Vec::new())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            left, 1,
            "{table}: only the newest dialog's of {conversions}"
        );
    }

    for round in ["after retention", "after a rebuild"] {
        for (i, (from, to)) in periods.into_iter().enumerate() {
            // Only the recent period still agrees with the rows.
            let now = counts(&app, from, to, i == 3).await;
            assert_eq!(now, before[i], "{round}: period {i}");
        }
        let drift = app.store.rollup_drift(app.site.id).await.unwrap();
        assert!(
            drift.is_empty(),
            "{round}: {:?}",
            &drift[..drift.len().min(5)]
        );
        app.store.rebuild_rollups(app.site.id).await.unwrap();
    }
    let report_after = channels_report(&app, &admin, periods[0].0, periods[0].1).await;
    assert_eq!(report_after, report_before);
    // The expired first visit of a kept dialog's visitor stayed, and the dialog's first
    // touch still names its channel, also after the rebuilds.
    let (channel,): (Option<String>,) = app
        .db
        .fetch_optional(
            "SELECT d.first_channel FROM dialogs d JOIN sessions f ON f.site_id = d.site_id \
             AND f.channel = d.first_channel WHERE d.dialog_id = $1 AND f.session_id = $2",
            chatrail_collector::args![dialog, first],
        )
        .await
        .unwrap()
        .expect("the first session stays, and the dialog's first touch is its channel");
    assert!(channel.is_some());
}

/// Makes an expired session that nothing points at the first visit of the visitor of a
/// dialog kept by retention (the generator's visitors start their dialogs' sessions), with
/// a channel of its own, and copies it onto the dialog; `(session, dialog)`.
async fn first_visit_long_ago(app: &TestApp, hv: i64, hd: i64) -> (uuid::Uuid, uuid::Uuid) {
    use chatrail_collector::args;
    let (first,): (uuid::Uuid,) = app
        .db
        .fetch_optional(
            "SELECT s.session_id FROM sessions s WHERE s.started_at < $1 \
             AND NOT EXISTS (SELECT 1 FROM clicks c WHERE c.session_id = s.session_id) \
             AND NOT EXISTS (SELECT 1 FROM dialogs d WHERE d.session_id = s.session_id) \
             ORDER BY s.started_at LIMIT 1",
            args![hv],
        )
        .await
        .unwrap()
        .expect("an expired session nothing points at");
    let (dialog, session): (uuid::Uuid, uuid::Uuid) = app
        .db
        .fetch_optional(
            "SELECT dialog_id, session_id FROM dialogs WHERE started_at >= $1 \
             AND session_id IS NOT NULL ORDER BY started_at DESC LIMIT 1",
            args![hd],
        )
        .await
        .unwrap()
        .expect("a kept dialog with a session");
    let (kept,): (uuid::Uuid,) = app
        .db
        .fetch_optional(
            "SELECT visitor_id FROM sessions WHERE session_id = $1",
            args![session],
        )
        .await
        .unwrap()
        .unwrap();
    for (sql, a) in [
        (
            "UPDATE sessions SET visitor_id = $1, channel = 'Old first channel' \
             WHERE session_id = $2",
            args![kept, first],
        ),
        (
            "UPDATE visitors SET first_session_id = $1 WHERE visitor_id = $2",
            args![first, kept],
        ),
    ] {
        app.db.execute(sql, a).await.unwrap();
    }
    // The copies follow on the rebuild, as every write's would.
    app.store.rebuild_rollups(app.site.id).await.unwrap();
    (first, dialog)
}

/// Adds a webhook destination and records a `dialog.started` event on the site's oldest and
/// newest dialogs, each with its delivery; how many events.
async fn conversion_events_on_oldest_and_newest(app: &TestApp) -> usize {
    let hook = NewDestination {
        kind: DestinationKind::Webhook,
        name: "CRM".into(),
        endpoint: Some("http://127.0.0.1:9/hook".into()),
        settings: Default::default(),
        secret: None,
        events: None,
    }
    .check(app.site.id.0)
    .unwrap();
    app.store.add_destination(&hook).await.unwrap();
    let mut ids = Vec::new();
    for order in ["ASC", "DESC"] {
        let (id,): (uuid::Uuid,) = app
            .db
            .fetch_optional(
                &format!("SELECT dialog_id FROM dialogs ORDER BY started_at {order} LIMIT 1"),
                Vec::new(),
            )
            .await
            .unwrap()
            .unwrap();
        ids.push(id);
    }
    for id in &ids {
        let mut tx = app.db.begin().await.unwrap();
        let event = Event::new(EventKind::DialogStarted, app.site.id.0, *id, now_ms());
        record(&mut tx, &event).await.unwrap();
        tx.commit().await.unwrap();
    }
    ids.len()
}

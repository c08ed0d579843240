//! kill -9 under load: an acknowledgement is a commit.
//!
//! The real `chatrail` binary runs as a child process (set up with `chatrail site create`,
//! then `chatrail serve`), takes visit beacons, click beacons and signed Cloud API webhooks
//! from concurrent connections, and is killed with SIGKILL in the middle of it. Restarted on
//! the same database, it must have stored every page view, click and message it answered
//! `2xx` for: the stored rows are read straight from the database.

use std::collections::HashSet;
use std::time::Duration;

use chatrail_tests::app::{fresh_database, Backend};
use chatrail_tests::loadgen::{self, Outcome, Plan, Stop};
use chatrail_tests::on_both_backends;
use chatrail_tests::process::{Chatrail, SITE};
use chatrail_tests::traffic::{Clicks, Promise, Visits, Webhooks};
use sqlx::{Connection, PgConnection, SqliteConnection};

/// Load before the kill.
const LOAD_BEFORE_KILL: Duration = Duration::from_millis(1500);

/// What the database holds: page views as `session URL`, click ids, `wamid`s; ids in the
/// beacons' 32 lower-case hex characters.
#[derive(Debug, Default)]
struct Stored {
    page_views: HashSet<String>,
    clicks: HashSet<String>,
    messages: HashSet<String>,
}

async fn stored(database_url: &str) -> anyhow::Result<Stored> {
    let hex = |column: &str| {
        if database_url.starts_with("sqlite:") {
            format!("lower(hex({column}))")
        } else {
            format!("replace({column}::text, '-', '')")
        }
    };
    Ok(Stored {
        page_views: column(
            database_url,
            &format!("SELECT {} || ' ' || url FROM pageviews", hex("session_id")),
        )
        .await?,
        clicks: column(
            database_url,
            &format!("SELECT {} FROM clicks", hex("click_id")),
        )
        .await?,
        messages: column(
            database_url,
            "SELECT provider_message_id FROM messages WHERE provider = 'whatsapp'",
        )
        .await?,
    })
}

/// The one text column `sql` selects.
async fn column(database_url: &str, sql: &str) -> anyhow::Result<HashSet<String>> {
    let rows: Vec<String> = if database_url.starts_with("sqlite:") {
        let mut db = SqliteConnection::connect(database_url).await?;
        sqlx::query_scalar(sql).fetch_all(&mut db).await?
    } else {
        let mut db = PgConnection::connect(database_url).await?;
        sqlx::query_scalar(sql).fetch_all(&mut db).await?
    };
    Ok(rows.into_iter().collect())
}

/// Acknowledged against stored, by kind: `(kind, acknowledged, lost, an example lost)`.
fn losses(acked: &[Promise], stored: &Stored) -> Vec<(&'static str, usize, usize, Option<String>)> {
    let mut kinds = [
        ("page views", 0, 0, None),
        ("clicks", 0, 0, None),
        ("messages", 0, 0, None),
    ];
    for p in acked {
        let (k, kept) = match p {
            Promise::PageView { session, url, .. } => {
                (0, stored.page_views.contains(&format!("{session} {url}")))
            }
            Promise::Click(id) => (1, stored.clicks.contains(id)),
            Promise::Message(wamid) => (2, stored.messages.contains(wamid)),
        };
        kinds[k].1 += 1;
        if !kept {
            kinds[k].2 += 1;
            kinds[k].3.get_or_insert_with(|| format!("{p:?}"));
        }
    }
    kinds.into()
}

async fn kill_9_under_load_loses_nothing_acknowledged(backend: Backend) {
    let (database_url, _dir) = fresh_database(backend).await;
    let log_dir = tempfile::tempdir().unwrap();
    let chatrail = Chatrail {
        bin: env!("CARGO_BIN_EXE_chatrail-for-tests").into(),
        database_url: database_url.clone(),
        workers: 2,
        log: log_dir.path().join("chatrail.log"),
    };
    chatrail.create_site().await.unwrap();
    let mut server = chatrail.serve().await.unwrap();

    // A few sessions first, whose codes the messages carry (so some match exactly).
    let warm = loadgen::run(server.addr, plan(1), Stop::after_acks(20), |i| {
        Visits::new(SITE, 1 << 16 | i as u64)
    })
    .await;
    let codes: Vec<String> = warm
        .promises
        .iter()
        .filter_map(|p| match p {
            Promise::PageView { code, .. } => Some(code.clone()),
            _ => None,
        })
        .collect();
    let codes = std::sync::Arc::new(codes);

    let stop = Stop::by_hand();
    let addr = server.addr;
    let visits = tokio::spawn(loadgen::run(addr, plan(24), stop.clone(), |i| {
        Visits::new(SITE, 2 << 16 | i as u64)
    }));
    let clicks = tokio::spawn(loadgen::run(addr, plan(12), stop.clone(), |i| {
        Clicks::new(SITE, 3 << 16 | i as u64)
    }));
    let messages = tokio::spawn(loadgen::run(addr, plan(8), stop.clone(), move |i| {
        Webhooks::new(4 << 16 | i as u64, codes.clone())
    }));
    tokio::time::sleep(LOAD_BEFORE_KILL).await;
    server.kill9().await.unwrap();
    stop.now();
    let mut acked = warm.promises;
    let mut outcomes: Vec<Outcome> = Vec::new();
    for task in [visits, clicks, messages] {
        let mut out = task.await.unwrap();
        acked.append(&mut out.promises);
        outcomes.push(out);
    }
    let refused: Vec<&String> = outcomes.iter().flat_map(|o| &o.samples).collect();
    let (v, c, m) = (outcomes[0].acked, outcomes[1].acked, outcomes[2].acked);
    // The load must have been real for the check to mean anything.
    assert!(
        v >= 50 && c >= 20 && m >= 10,
        "too little load before the kill: {v} visits, {c} clicks, {m} messages acknowledged; \
         answers other than 2xx: {refused:?}\n{}",
        server.log_tail()
    );

    let restarted = chatrail.serve().await.unwrap();
    let stored = stored(&database_url).await.unwrap();
    drop(restarted);
    let report = losses(&acked, &stored);
    let lost: usize = report.iter().map(|r| r.2).sum();
    let summary: Vec<String> = report
        .iter()
        .map(|(kind, total, lost, example)| {
            let example = example
                .as_ref()
                .map(|e| format!(" (e.g. {e})"))
                .unwrap_or_default();
            format!("{lost} of {total} acknowledged {kind} lost{example}")
        })
        .collect();
    assert_eq!(
        lost,
        0,
        "kill -9 after {LOAD_BEFORE_KILL:?} of load on {backend:?}: {}",
        summary.join("; ")
    );
    eprintln!("{backend:?}: nothing lost: {}", summary.join("; "));
}

/// `connections` connections, keeping every promise; a `503` is retried after a pause, as
/// the snippet does.
fn plan(connections: usize) -> Plan {
    Plan {
        connections,
        keep: usize::MAX,
        backoff_503: Some(Duration::from_millis(20)),
    }
}

on_both_backends!(kill_9_under_load_loses_nothing_acknowledged);

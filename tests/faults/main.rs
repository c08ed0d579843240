//! Faults under load: an acknowledgement is a commit, whatever happens to the process or
//! its storage.
//!
//! The real `chatrail` binary runs as a child process (set up with `chatrail site create`,
//! then `chatrail serve`) and takes visit beacons, click beacons and signed Cloud API
//! webhooks from concurrent connections while something goes wrong:
//! - [`kill9`]: it is killed with SIGKILL, then restarted on the same database;
//! - [`outage`]: its storage fails under it and comes back (SQLite's disk fills up and is
//!   freed; PostgreSQL is stopped and started again); it must answer `503` meanwhile, never
//!   a `500` or an acknowledgement, and take writes again by itself, without a restart.
//!
//! Every time, the database must hold every page view, click and message answered `2xx`:
//! the stored rows are read straight from it.

mod backup;
mod conversions;
mod kill9;
mod outage;

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chatrail_tests::loadgen::{self, Outcome, Plan, Stop};
use chatrail_tests::process::{Chatrail, SITE};
use chatrail_tests::traffic::{Clicks, Promise, Visits, Webhooks};
use sqlx::{Connection, PgConnection, SqliteConnection};
use tokio::task::JoinHandle;

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

/// Checks that every acknowledged promise is in the database at `database_url`; `what`
/// names the fault for the messages. Returns the one-line summary.
async fn assert_nothing_lost(what: &str, acked: &[Promise], database_url: &str) -> String {
    let stored = stored(database_url).await.unwrap();
    let report = losses(acked, &stored);
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
    let summary = summary.join("; ");
    assert_eq!(lost, 0, "{what}: {summary}");
    summary
}

/// The mixed load of the fault tests: visits, clicks, and messages carrying the codes of a
/// few sessions made first (so some match exactly).
struct Load {
    stop: Arc<Stop>,
    tasks: Vec<JoinHandle<Outcome>>,
    /// The warm-up's acknowledgements.
    warm: Vec<Promise>,
}

/// Everything a [`Load`] got back: `[visits, clicks, messages]`.
struct Outcomes {
    kinds: [Outcome; 3],
    /// What every acknowledged request promised, the warm-up's included.
    acked: Vec<Promise>,
}

impl Load {
    /// Sends a few sessions, then starts 24 connections of visits, 12 of clicks and 8 of
    /// webhooks, each of which retries a `503` after a pause, as the snippet does.
    async fn start(addr: SocketAddr) -> Load {
        let warm = loadgen::run(addr, plan(1), Stop::after_acks(20), |i| {
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
        let codes = Arc::new(codes);
        let stop = Stop::by_hand();
        let tasks = vec![
            tokio::spawn(loadgen::run(addr, plan(24), stop.clone(), |i| {
                Visits::new(SITE, 2 << 16 | i as u64)
            })),
            tokio::spawn(loadgen::run(addr, plan(12), stop.clone(), |i| {
                Clicks::new(SITE, 3 << 16 | i as u64)
            })),
            tokio::spawn(loadgen::run(addr, plan(8), stop.clone(), move |i| {
                Webhooks::new(4 << 16 | i as u64, codes.clone())
            })),
        ];
        Load {
            stop,
            tasks,
            warm: warm.promises,
        }
    }

    /// Requests acknowledged so far (the warm-up's not counted).
    fn acked(&self) -> u64 {
        self.stop.acked()
    }

    /// Stops sending and waits for the answers in flight.
    async fn finish(self) -> Outcomes {
        self.stop.now();
        let mut acked = self.warm;
        let mut kinds: Vec<Outcome> = Vec::new();
        for task in self.tasks {
            let mut out = task.await.unwrap();
            acked.append(&mut out.promises);
            kinds.push(out);
        }
        Outcomes {
            kinds: kinds.try_into().unwrap(),
            acked,
        }
    }
}

impl Outcomes {
    /// One line per kind: acknowledged, `503`, other answers, no answer; and a few of the
    /// answers that were not `2xx`.
    fn describe(&self) -> String {
        let names = ["visits", "clicks", "messages"];
        let mut lines: Vec<String> = names
            .iter()
            .zip(&self.kinds)
            .map(|(name, o)| {
                format!(
                    "{name}: {} acknowledged, {} answered 503, {} other answers, {} without answer",
                    o.acked, o.unavailable, o.refused, o.failed
                )
            })
            .collect();
        let samples: Vec<&String> = self.kinds.iter().flat_map(|o| &o.samples).collect();
        lines.push(format!("samples: {samples:?}"));
        lines.join("\n")
    }
}

/// The `chatrail` binary (`chatrail-for-tests`) on `database_url`, with two workers, its
/// output in `log_dir`.
fn chatrail(database_url: &str, log_dir: &Path) -> Chatrail {
    Chatrail {
        bin: env!("CARGO_BIN_EXE_chatrail-for-tests").into(),
        database_url: database_url.to_owned(),
        workers: 2,
        log: log_dir.join("chatrail.log"),
    }
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

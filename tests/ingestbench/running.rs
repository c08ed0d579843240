//! One `chatrail` build under test: its process, its memory over time, and the clicks seeded
//! into its database.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use chatrail_tests::app::{fresh_database, Backend};
use chatrail_tests::loadgen::{self, Plan, Stop};
use chatrail_tests::process::{self, Chatrail, Server, SITE};
use chatrail_tests::traffic::Visits;

use crate::args::Options;
use crate::report::{Memory, Seeding};

/// One `chatrail` build running on the backend under test.
pub struct Running {
    pub server: Server,
    samples: Arc<Mutex<Vec<(Instant, u64)>>>,
    sampling: Arc<AtomicBool>,
    before: u64,
    pub first_load: Option<Instant>,
    pub last_load: Option<Instant>,
    pub codes: Arc<Vec<String>>,
    /// Its database, on PostgreSQL analyzed after each warm-up ([`Running::analyze`]).
    database_url: String,
    backend: Backend,
    _dir: Option<tempfile::TempDir>,
}

impl Running {
    pub async fn start(
        bin: &Path,
        backend: Backend,
        o: &Options,
        log: &Path,
    ) -> anyhow::Result<Running> {
        let (database_url, dir) = fresh_database(backend).await;
        let chatrail = Chatrail {
            bin: bin.to_owned(),
            database_url: database_url.clone(),
            workers: o.workers,
            log: log.to_owned(),
        };
        chatrail.create_site().await?;
        let server = chatrail.serve().await?;
        let pid = server.pid().context("the server has no pid")?;
        // Let start-up settle, so "before" is the idle process.
        tokio::time::sleep(Duration::from_secs(1)).await;
        let before = process::rss_kib(pid).unwrap_or(0);
        let samples = Arc::new(Mutex::new(Vec::new()));
        let sampling = Arc::new(AtomicBool::new(true));
        let (s, on) = (samples.clone(), sampling.clone());
        tokio::spawn(async move {
            while on.load(Ordering::Relaxed) {
                if let Some(kib) = process::rss_kib(pid) {
                    s.lock().expect("samples").push((Instant::now(), kib));
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        });
        Ok(Running {
            server,
            samples,
            sampling,
            before,
            first_load: None,
            last_load: None,
            codes: Arc::default(),
            database_url,
            backend,
            _dir: dir,
        })
    }

    /// On PostgreSQL: gathers the statistics of the tables a warm-up wrote to (`ANALYZE`),
    /// as autovacuum does within a minute of a fresh database's first writes. Without them
    /// PostgreSQL keeps the plans it made while the tables were empty, which probe the wrong
    /// indexes (inbound measured 412 msg/s before, 1,029 after).
    pub async fn analyze(&self) -> anyhow::Result<()> {
        use sqlx::Connection;
        if self.backend != Backend::Postgres {
            return Ok(());
        }
        let mut conn = sqlx::PgConnection::connect(&self.database_url).await?;
        sqlx::query("ANALYZE").execute(&mut conn).await?;
        conn.close().await?;
        Ok(())
    }

    pub fn memory(&self) -> Memory {
        self.sampling.store(false, Ordering::Relaxed);
        let samples = self.samples.lock().expect("samples");
        let (Some(first), Some(last)) = (self.first_load, self.last_load) else {
            return Memory {
                before: self.before,
                ..Memory::default()
            };
        };
        let at = |t: Instant| samples.iter().find(|(when, _)| *when >= t).map(|s| s.1);
        Memory {
            before: self.before,
            peak: samples
                .iter()
                .filter(|(t, _)| (first..=last).contains(t))
                .map(|s| s.1)
                .max()
                .unwrap_or(0),
            after_5s: at(last + Duration::from_secs(5)),
            after_30s: at(last + Duration::from_secs(30)),
        }
    }
}

/// Posts `--clicks-before` sessions of a visit and a click on the tracked number (`503`s
/// sent again) and waits until the collector says it has written them all.
pub async fn seed_clicks(running: &mut Running, o: &Options, seed: u64) -> anyhow::Result<Seeding> {
    let plan = Plan {
        connections: o.connections,
        keep: 0,
        backoff_503: Some(Duration::from_millis(20)),
    };
    let started = Instant::now();
    running.first_load.get_or_insert(started);
    let out = loadgen::run(
        running.server.addr,
        plan,
        // A visit, then a click: two beacons a click.
        Stop::after_acks(2 * o.clicks_before),
        |i| Visits::clicking(SITE, seed << 16 | i as u64),
    )
    .await;
    let seconds = started.elapsed().as_secs_f64();
    let waited = Instant::now();
    wait_written(&running.server.base).await?;
    running.last_load = Some(Instant::now());
    Ok(Seeding {
        accepted: out.acked,
        unavailable: out.unavailable,
        seconds,
        written_after: waited.elapsed().as_secs_f64(),
        span: 0.0,
    })
}

/// Waits until `/health` counts every accepted beacon as written or failed (a build that
/// acknowledges only what it has written may not count them at all: then at once).
async fn wait_written(base: &str) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    let started = Instant::now();
    loop {
        let health: serde_json::Value = http
            .get(format!("{base}/health"))
            .send()
            .await?
            .json()
            .await?;
        let ingest = &health["ingest"];
        let (Some(accepted), Some(written)) =
            (ingest["accepted"].as_u64(), ingest["written"].as_u64())
        else {
            return Ok(());
        };
        if written + ingest["failed"].as_u64().unwrap_or(0) >= accepted {
            return Ok(());
        }
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(1800),
            "beacons still unwritten after 30 minutes: {health}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

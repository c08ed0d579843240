//! Building and running the application: the listener, the writer task, the routes.

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::{web, App, HttpServer};

use std::sync::Arc;

use crate::config::Settings;
use crate::db::Backend;
use crate::enrich::channel::lists;
use crate::enrich::geo::GeoIp;
use crate::error::extractor_error;
use crate::ingest::{Beacons, InboundQueue, IngestQueue, Messages, Writers};
use crate::limits::Limits;
use crate::matching::DialogPolicy;
use crate::metrics::Metrics;
use crate::request_span::RequestSpan;
use crate::routes;
use crate::snippet::Snippet;
use crate::state::AppState;
use crate::storage::{Db, SharedStore};

/// A built, bound application, ready to run.
pub struct Application {
    port: u16,
    server: Server,
    /// The `CHATRAIL_METRICS_LISTEN` server, if configured.
    metrics_server: Option<Server>,
    /// The writers of the beacon and inbound queues.
    writers: [Writers; 2],
    store: SharedStore,
    db: Db,
}

/// Opens the configured GeoIP databases; a configured path that does not open stops start-up.
fn open_geoip(settings: &Settings) -> anyhow::Result<GeoIp> {
    let paths: Vec<_> = settings
        .geoip_db
        .iter()
        .filter(|p| !p.as_os_str().is_empty())
        .collect();
    if paths.is_empty() {
        tracing::info!(
            "no GeoIP database configured (CHATRAIL_GEOIP_DB): visitors' region is unknown"
        );
        return Ok(GeoIp::none());
    }
    let geo = GeoIp::open(&paths)?;
    tracing::info!(databases = ?geo.describe(), "GeoIP enabled");
    Ok(geo)
}

/// Writer tasks of the beacon queue ([`IngestQueue`]). On SQLite one: its writes run on one
/// connection, and with two each batch was half the size and visits fell from 13.4k/s to
/// 11.3k/s. On PostgreSQL two transactions side by side: against four, visits went from
/// 4,956 to 5,572/s and clicks from 4,460 to 5,387/s (fewer, larger batches wait less on
/// each other's commits and rollup rows; eight fell to 3,608/s);
/// `tests/README.md#ingest-benchmark`.
fn beacon_writers(backend: Backend) -> usize {
    match backend {
        Backend::Sqlite => 1,
        Backend::Postgres => 2,
    }
}

/// Writer tasks of the inbound queue ([`InboundQueue`]): one on SQLite, four transactions
/// side by side on PostgreSQL (two, six and eight were within the spread of four). A batch's
/// later messages only try their locks, so two batches cannot deadlock on them.
fn delivery_writers(backend: Backend) -> usize {
    match backend {
        Backend::Sqlite => 1,
        Backend::Postgres => 4,
    }
}

/// Most webhook deliveries (each usually one message) matched in one transaction. A batch
/// holds the locks of the sessions it claimed (PostgreSQL) until it commits, so it is kept
/// small enough for a short wait.
const INBOUND_BATCH: usize = 64;

impl Application {
    /// Opens the database, starts the writer and binds the listener.
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        let db = Db::connect(&settings.database_url).await?;
        crate::storage::catch_up(&db).await?;
        let store: SharedStore = Arc::new(db.clone());
        let metrics = Metrics::new(settings.metrics_token.clone(), db.clone())?;
        if settings.retention_every_seconds > 0 {
            let every = std::time::Duration::from_secs(settings.retention_every_seconds);
            crate::storage::spawn_retention(db.clone(), every);
        }
        if settings.conversions_poll_ms > 0 {
            let config = crate::conversions::sender::SenderConfig {
                poll: std::time::Duration::from_millis(settings.conversions_poll_ms),
                retry_base: std::time::Duration::from_millis(settings.conversions_retry_ms),
                timeout: std::time::Duration::from_millis(settings.conversions_timeout_ms.max(1)),
            };
            crate::conversions::sender::spawn(store.clone(), config);
        }
        let (queue, beacon_writers) = IngestQueue::start(
            Beacons(store.clone()),
            settings.queue_capacity,
            settings.batch_size,
            beacon_writers(db.backend()),
            metrics.commit_seconds("ingest", "beacon events")?,
        );
        metrics.watch_queue("ingest", "Beacon events", queue.clone())?;
        let policy = DialogPolicy {
            silence_ms: settings.dialog_silence_hours.max(0) * 3600 * 1000,
            probable_window_ms: settings.probable_window_minutes.max(0) * 60 * 1000,
            ..DialogPolicy::default()
        };
        let (inbound, inbound_writers) = InboundQueue::start(
            Messages {
                store: store.clone(),
                policy: policy.clone(),
            },
            settings.queue_capacity,
            INBOUND_BATCH,
            delivery_writers(db.backend()),
            metrics.commit_seconds("inbound", "inbound messages")?,
        );
        metrics.watch_queue("inbound", "Inbound messages", inbound.clone())?;
        let snippet = Snippet::embedded();
        if snippet.is_none() {
            tracing::warn!(
                "built without the tracker snippet: /t.js answers 503 (run `cargo xtask snippet`)"
            );
        }
        let geo = open_geoip(&settings)?;
        tracing::debug!(hosts = lists::preload(), "channel lists loaded");
        let state = web::Data::new(AppState {
            store: store.clone(),
            queue,
            inbound,
            snippet,
            policy,
            geo: Arc::new(geo),
            proxies: settings.trusted_proxies.clone(),
            limits: Limits::start(
                settings.client_rate,
                settings.site_rate,
                settings.site_daily_cap,
            ),
            clients: Default::default(),
            filtered: Arc::default(),
            public_url: public_url(settings.public_url.as_deref())?,
            sign_ins: crate::sign_in_limits::SignInLimits::start(settings.sign_in_attempts),
            secure_cookies: !settings.insecure_cookies,
        });
        let metrics = web::Data::new(metrics);
        let metrics_server = match settings.metrics_listen.as_deref().map(str::trim) {
            Some(addr) if !addr.is_empty() => {
                let listener = TcpListener::bind(addr)?;
                tracing::info!(address = %listener.local_addr()?, "metrics on their own listener");
                Some(routes::metrics::apart(metrics.clone(), listener)?)
            }
            _ => None,
        };
        let listener = TcpListener::bind(&settings.listen)?;
        let port = listener.local_addr()?.port();
        let demo = settings.demo;
        let mut server = HttpServer::new(move || {
            App::new()
                .wrap(actix_web::middleware::from_fn(routes::refuse_nul))
                .wrap(tracing_actix_web::TracingLogger::<RequestSpan>::new())
                .wrap(actix_web::middleware::from_fn(crate::metrics::observe))
                .app_data(state.clone())
                .app_data(metrics.clone())
                .app_data(web::QueryConfig::default().error_handler(|e, _| extractor_error(e)))
                .app_data(web::PathConfig::default().error_handler(|e, _| extractor_error(e)))
                .app_data(web::FormConfig::default().error_handler(|e, _| extractor_error(e)))
                .configure(routes::configure)
                .configure(|cfg| {
                    if demo {
                        routes::demo::configure(cfg);
                    }
                })
                .default_service(web::to(routes::no_route))
        })
        .listen(listener)?;
        if settings.workers > 0 {
            server = server.workers(settings.workers);
        }
        Ok(Application {
            port,
            server: server.run(),
            metrics_server,
            writers: [beacon_writers, inbound_writers],
            store,
            db,
        })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The store, for set-up commands and tests.
    pub fn store(&self) -> SharedStore {
        self.store.clone()
    }

    /// The database under the store, for bulk loads (the generator) and tests.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Serves until SIGINT/SIGTERM, then writes every queued beacon and message before
    /// returning.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let apart = self.metrics_server.map(|s| (s.handle(), tokio::spawn(s)));
        let served = self.server.await;
        if let Some((handle, task)) = apart {
            handle.stop(true).await;
            let _ = task.await;
        }
        for writers in self.writers {
            writers.shutdown().await;
        }
        Ok(served?)
    }
}

/// Checks `CHATRAIL_PUBLIC_URL` at start-up, so a typo fails loudly instead of every Twilio
/// signature.
fn public_url(raw: Option<&str>) -> anyhow::Result<Option<String>> {
    let Some(raw) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    let url = url::Url::parse(raw)
        .map_err(|e| anyhow::anyhow!("CHATRAIL_PUBLIC_URL {raw:?} is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || !url.has_host() || url.query().is_some() {
        anyhow::bail!("CHATRAIL_PUBLIC_URL must be an http(s) base URL such as https://chatrail.example.com, got {raw:?}");
    }
    Ok(Some(raw.trim_end_matches('/').to_owned()))
}

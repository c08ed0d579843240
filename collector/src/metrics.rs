//! Prometheus metrics: what `/metrics` serves, and the middleware that counts answers.
//!
//! Each [`Metrics`] has its own registry (no global one), so several collectors in one
//! process (the tests) count apart. The counters of the beacon and inbound queues already
//! live in [`QueueStats`](crate::ingest::QueueStats) for `/health`; [`QueueCollector`] reads
//! them at scrape time instead of counting twice. Dialogs by match kind are counted in the
//! database at each scrape: a probable match can be confirmed or undone by a later message,
//! so only the stored rows say how many of each kind there are (matches by kind: `exact`,
//! `probable`, `referral`, `none`). The pool's connections and conversion deliveries by
//! state are read at each scrape too.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::web;
use prometheus::core::{Collector, Desc};
use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge,
    IntGaugeVec, Opts, Registry, TextEncoder,
};

use crate::domain::secret::Secret;
use crate::ingest::queue::Batch;
use crate::ingest::{Queue, QueueStats};
use crate::storage::Db;

/// Bucket bounds of the latency histograms, in seconds: 1 ms to 10 s.
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The collector's metrics and who may read them.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    /// `CHATRAIL_METRICS_TOKEN`; without one the main listener has no `/metrics`.
    token: Option<Secret>,
    /// Answers by status class, `1xx` to `5xx`, resolved once: the middleware counts
    /// every request and should not hash label values each time.
    http: [IntCounter; 5],
    /// Webhook deliveries by provider and status class, with their latency.
    webhooks: HistogramVec,
    /// Stored dialogs by match kind, counted at each scrape.
    dialogs: IntGaugeVec,
    /// Whether the last scrape's read of the database answered.
    storage_up: IntGauge,
    /// The database pool's connections by state (`idle`, `in_use`), read at each scrape.
    pool: IntGaugeVec,
    /// The most connections the pool opens.
    pool_max: IntGauge,
    /// Conversion deliveries by state, counted at each scrape.
    deliveries: IntGaugeVec,
    db: Db,
}

impl Metrics {
    /// A registry with every metric, for a collector on `db`; each queue's writers time their
    /// commits with [`Metrics::commit_seconds`], and [`Metrics::watch_queue`] adds its counters.
    pub fn new(token: Option<Secret>, db: Db) -> anyhow::Result<Metrics> {
        let registry = Registry::new_custom(Some("chatrail".into()), None)?;
        let http = IntCounterVec::new(
            Opts::new("http_responses_total", "HTTP answers by status class"),
            &["class"],
        )?;
        let webhooks = HistogramVec::new(
            HistogramOpts::new(
                "webhook_seconds",
                "Webhook deliveries (and POST /api/v1/messages as provider generic) by provider \
                 and status class, from the request to the answer",
            )
            .buckets(LATENCY_BUCKETS.to_vec()),
            &["provider", "class"],
        )?;
        let dialogs = IntGaugeVec::new(
            Opts::new(
                "dialogs",
                "Dialogs stored, by match kind (counted in the database at each scrape)",
            ),
            &["match_kind"],
        )?;
        // Every series exists from the start, at zero, so a rate over the first requests
        // has a value to start from.
        for class in CLASSES {
            for provider in ["whatsapp", "twilio", "telegram", "generic"] {
                webhooks.with_label_values(&[provider, class]);
            }
        }
        let storage_up = IntGauge::new(
            "storage_up",
            "1 if the database answered the scrape's count of dialogs, else 0",
        )?;
        let pool = IntGaugeVec::new(
            Opts::new(
                "db_pool_connections",
                "Open database connections by state (idle, in_use), at the scrape",
            ),
            &["state"],
        )?;
        let pool_max = IntGauge::new(
            "db_pool_max_connections",
            "The most database connections the pool opens",
        )?;
        let deliveries = IntGaugeVec::new(
            Opts::new(
                "conversion_deliveries",
                "Conversion deliveries of every site by state (pending, sent, failed, expired, \
                 dropped), at the scrape",
            ),
            &["state"],
        )?;
        registry.register(Box::new(deliveries.clone()))?;
        registry.register(Box::new(pool.clone()))?;
        registry.register(Box::new(pool_max.clone()))?;
        registry.register(Box::new(storage_up.clone()))?;
        registry.register(Box::new(http.clone()))?;
        registry.register(Box::new(webhooks.clone()))?;
        registry.register(Box::new(dialogs.clone()))?;
        Ok(Metrics {
            registry,
            token: token.filter(|t| !t.expose().is_empty()),
            http: CLASSES.map(|class| http.with_label_values(&[class])),
            webhooks,
            dialogs,
            storage_up,
            pool,
            pool_max,
            deliveries,
            db,
        })
    }

    /// A histogram `{queue}_commit_seconds` for the batch writes of a queue of `what`.
    pub fn commit_seconds(&self, queue: &str, what: &str) -> anyhow::Result<Histogram> {
        let commit = Histogram::with_opts(
            HistogramOpts::new(
                format!("{queue}_commit_seconds"),
                format!("Batch writes of {what} (one transaction each), failed attempts included"),
            )
            .buckets(LATENCY_BUCKETS.to_vec()),
        )?;
        self.registry.register(Box::new(commit.clone()))?;
        Ok(commit)
    }

    /// Adds the counters and depth of `queue` (of `what`) as `{name}_…`.
    pub fn watch_queue<B: Batch>(
        &self,
        name: &'static str,
        what: &'static str,
        queue: Queue<B>,
    ) -> anyhow::Result<()> {
        let view = QueueView {
            name,
            what,
            stats: queue.stats_handle(),
            depth: Box::new(move || queue.depth()),
        };
        self.registry
            .register(Box::new(QueueCollector::new(view)?))?;
        Ok(())
    }

    /// Whether a token is configured (the main listener serves `/metrics` only then).
    pub fn enabled(&self) -> bool {
        self.token.is_some()
    }

    /// Whether an `Authorization` header value carries the metrics token. Both sides are
    /// hashed first, so the comparison takes the same time whatever the length or the
    /// first differing byte.
    pub fn authorized(&self, authorization: Option<&[u8]>) -> bool {
        use sha2::{Digest, Sha256};
        use subtle::ConstantTimeEq;
        let (Some(token), Some(header)) = (&self.token, authorization) else {
            return false;
        };
        let Some(given) = header.strip_prefix(b"Bearer ") else {
            return false;
        };
        let given = Sha256::digest(given);
        let wanted = Sha256::digest(token.expose().as_bytes());
        given.ct_eq(&wanted).into()
    }

    /// Reads the pool's state, counts dialogs by match kind, then writes every metric in
    /// the text format. A database that does not answer leaves the dialog counts as they
    /// were and sets `chatrail_storage_up` to 0: the ingest metrics matter most during an
    /// outage.
    pub async fn render(&self) -> anyhow::Result<String> {
        // Before the count below takes a connection of its own.
        let (open, idle, max) = self.db.pool_state();
        let idle = i64::try_from(idle).unwrap_or(i64::MAX);
        self.pool.with_label_values(&["idle"]).set(idle);
        self.pool
            .with_label_values(&["in_use"])
            .set((i64::from(open) - idle).max(0));
        self.pool_max.set(i64::from(max));
        let kinds: Result<Vec<(String, i64)>, _> = self
            .db
            .fetch_all(
                "SELECT match_kind, COUNT(*) FROM dialogs GROUP BY match_kind",
                Vec::new(),
            )
            .await;
        match kinds {
            Ok(kinds) => {
                for kind in crate::domain::dialog::MatchKind::ALL {
                    self.dialogs.with_label_values(&[kind.as_str()]).set(0);
                }
                for (kind, n) in kinds {
                    self.dialogs.with_label_values(&[kind.as_str()]).set(n);
                }
                self.storage_up.set(1);
            }
            Err(e) => {
                tracing::warn!(error = %e, "metrics: dialogs not counted");
                self.storage_up.set(0);
            }
        }
        if let Ok(states) = crate::storage::Conversions::delivery_counts(&self.db).await {
            for state in ["pending", "sent", "failed", "expired", "dropped"] {
                self.deliveries.with_label_values(&[state]).set(0);
            }
            for (state, n) in states {
                self.deliveries.with_label_values(&[state.as_str()]).set(n);
            }
        }
        let mut out = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut out)?;
        Ok(String::from_utf8(out)?)
    }
}

/// Status classes, as labels.
const CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];

/// The webhook provider a request is for, if it is a delivery.
fn provider(method: &Method, path: &str) -> Option<&'static str> {
    if method != Method::POST {
        return None;
    }
    match path {
        "/webhooks/whatsapp" => Some("whatsapp"),
        "/webhooks/twilio" => Some("twilio"),
        "/api/v1/messages" => Some("generic"),
        p if p.starts_with("/webhooks/telegram/") => Some("telegram"),
        _ => None,
    }
}

/// Counts every answer by status class, and times webhook deliveries by provider.
pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let metrics = req.app_data::<web::Data<Metrics>>().cloned();
    let provider = provider(req.method(), req.path());
    let answer = next.call(req).await;
    if let Some(metrics) = metrics {
        let status = match &answer {
            Ok(res) => res.status(),
            Err(e) => e.as_response_error().status_code(),
        };
        let index = usize::from(status.as_u16() / 100).clamp(1, 5) - 1;
        metrics.http[index].inc();
        let class = CLASSES[index];
        if let Some(provider) = provider {
            metrics
                .webhooks
                .with_label_values(&[provider, class])
                .observe(started.elapsed().as_secs_f64());
        }
    }
    answer
}

/// What a scrape reads of one queue.
struct QueueView {
    /// The metrics' prefix: `ingest`, `inbound`.
    name: &'static str,
    /// What is queued, for the help texts: "Beacon events".
    what: &'static str,
    stats: std::sync::Arc<QueueStats>,
    depth: Box<dyn Fn() -> usize + Send + Sync>,
}

/// A queue's counters of `/health` and its depth, read at each scrape.
struct QueueCollector {
    view: QueueView,
    descs: Vec<Desc>,
}

/// Names and help of a queue's counters, in the order [`QueueCollector::metrics`] reads them.
const QUEUE_COUNTERS: [(&str, &str); 5] = [
    ("accepted_total", "accepted into the queue"),
    ("written_total", "committed to the database"),
    ("failed_total", "the database did not take (answered 503)"),
    (
        "refused_total",
        "refused because the queue was full (answered 503)",
    ),
    ("batches_total", "Batches committed"),
];

impl QueueCollector {
    fn new(view: QueueView) -> anyhow::Result<QueueCollector> {
        let mut descs = Vec::new();
        for m in Self::metrics(&view)? {
            descs.extend(m.desc().into_iter().cloned());
        }
        Ok(QueueCollector { view, descs })
    }

    /// Fresh metrics holding the current values.
    fn metrics(view: &QueueView) -> prometheus::Result<Vec<Box<dyn Collector>>> {
        use std::sync::atomic::Ordering::Relaxed;
        let s = &view.stats;
        let values = [
            s.accepted.load(Relaxed),
            s.written.load(Relaxed),
            s.failed.load(Relaxed),
            s.rejected_queue_full.load(Relaxed),
            s.batches.load(Relaxed),
        ];
        let mut out: Vec<Box<dyn Collector>> = Vec::new();
        for ((name, help), value) in QUEUE_COUNTERS.into_iter().zip(values) {
            let help = if name == "batches_total" {
                help.to_owned()
            } else {
                format!("{} {help}", view.what)
            };
            let counter = IntCounter::new(format!("{}_{name}", view.name), help)?;
            counter.inc_by(value);
            out.push(Box::new(counter));
        }
        let depth = IntGauge::new(
            format!("{}_queue_depth", view.name),
            format!("{} waiting in the queue for a writer", view.what),
        )?;
        depth.set(i64::try_from((view.depth)()).unwrap_or(i64::MAX));
        out.push(Box::new(depth));
        Ok(out)
    }
}

impl Collector for QueueCollector {
    fn desc(&self) -> Vec<&Desc> {
        self.descs.iter().collect()
    }

    fn collect(&self) -> Vec<prometheus::proto::MetricFamily> {
        Self::metrics(&self.view)
            .map(|ms| ms.iter().flat_map(|m| m.collect()).collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deliveries_are_told_by_method_and_path() {
        let post = Method::POST;
        assert_eq!(provider(&post, "/webhooks/whatsapp"), Some("whatsapp"));
        assert_eq!(provider(&post, "/webhooks/twilio"), Some("twilio"));
        assert_eq!(provider(&post, "/webhooks/telegram/shop"), Some("telegram"));
        assert_eq!(provider(&post, "/api/v1/messages"), Some("generic"));
        // Meta's verification handshake and other routes are not deliveries.
        assert_eq!(provider(&Method::GET, "/webhooks/whatsapp"), None);
        assert_eq!(provider(&post, "/collect/visit"), None);
        assert_eq!(provider(&post, "/webhooks/telegram"), None);
    }
}

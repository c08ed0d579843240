//! The beacon ingest path: handlers push parsed events into a bounded queue and wait;
//! writer tasks drain it in batches and answer every event once its batch is committed.
//! While one writer's batch is in the database, the next takes what has queued meanwhile,
//! and on PostgreSQL their transactions run side by side (the sessions they share are
//! locked, so one commits before the other reads them). SQLite has one writer task: with
//! two, each batch was half the size for the same single writer connection.
//!
//! This is group commit: an acknowledgement (a beacon's 202) is sent only after what it
//! acknowledges is durable, and the requests that arrive while one batch is being written
//! make up the next, so the cost of a commit is shared by everyone waiting for it. A full
//! queue is refused (503) and counted, never silently dropped; a batch the database will not
//! take is answered 503 too, so the sender keeps the beacon and retries.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot, watch, Mutex};
use tokio::task::JoinHandle;

use crate::storage::{IngestEvent, SharedStore};

/// Counters of the ingest path, readable at `/health`.
#[derive(Debug, Default, serde::Serialize)]
pub struct IngestStats {
    /// Events accepted into the queue.
    pub accepted: AtomicU64,
    /// Events refused because the queue was full.
    pub rejected_queue_full: AtomicU64,
    /// Events written to the database.
    pub written: AtomicU64,
    /// Events the database refused, even one at a time (answered 503, logged).
    pub failed: AtomicU64,
    /// Batches written.
    pub batches: AtomicU64,
}

/// Why an event was not stored; the sender should retry later.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotStored {
    /// The queue is full.
    QueueFull,
    /// The database did not take it (logged); nothing was acknowledged.
    Refused,
}

impl NotStored {
    /// What to tell the sender.
    pub fn message(self) -> &'static str {
        match self {
            NotStored::QueueFull => "ingest queue is full, retry later",
            NotStored::Refused => "the event could not be stored, retry later",
        }
    }
}

/// An event and whoever waits for its commit.
#[derive(Debug)]
struct Pending {
    event: IngestEvent,
    done: oneshot::Sender<Result<(), NotStored>>,
}

/// The sending side of the ingest queue, cloned into every handler.
#[derive(Debug, Clone)]
pub struct IngestQueue {
    tx: mpsc::Sender<Pending>,
    stats: Arc<IngestStats>,
}

/// The writer tasks, stopped with [`IngestWriter::shutdown`] after the server stops (dropped,
/// it stops them the same way without waiting: the queue is closed and what it holds written).
#[derive(Debug)]
pub struct IngestWriter {
    handles: Vec<JoinHandle<()>>,
    stop: watch::Sender<bool>,
}

impl IngestQueue {
    /// Starts `writers` writer tasks and returns the queue feeding them.
    /// `commit_seconds` times every batch write (`/metrics`).
    pub fn start(
        store: SharedStore,
        capacity: usize,
        batch: usize,
        writers: usize,
        commit_seconds: prometheus::Histogram,
    ) -> (IngestQueue, IngestWriter) {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        let rx = Arc::new(Mutex::new(rx));
        let stats = Arc::new(IngestStats::default());
        let (stop, stopped) = watch::channel(false);
        let handles = (0..writers.max(1))
            .map(|_| {
                tokio::spawn(run_writer(
                    store.clone(),
                    rx.clone(),
                    batch.max(1),
                    stats.clone(),
                    stopped.clone(),
                    commit_seconds.clone(),
                ))
            })
            .collect();
        (IngestQueue { tx, stats }, IngestWriter { handles, stop })
    }

    /// Stores `events` and returns once they are committed, in one batch or neighbouring
    /// ones. Refused at once, with nothing queued, if the queue has no room for all of them.
    pub async fn store(&self, events: Vec<IngestEvent>) -> Result<(), NotStored> {
        let n = events.len();
        let permits = match self.tx.try_reserve_many(n) {
            Ok(permits) => permits,
            Err(_) => {
                let rejected = &self.stats.rejected_queue_full;
                rejected.fetch_add(n as u64, Ordering::Relaxed);
                return Err(NotStored::QueueFull);
            }
        };
        self.stats.accepted.fetch_add(n as u64, Ordering::Relaxed);
        let mut answers = Vec::with_capacity(n);
        for (permit, event) in permits.zip(events) {
            let (done, answer) = oneshot::channel();
            permit.send(Pending { event, done });
            answers.push(answer);
        }
        for answer in answers {
            // A writer gone without answering (shut down mid-batch) stored nothing we know of.
            answer.await.unwrap_or(Err(NotStored::Refused))?;
        }
        Ok(())
    }

    /// The counters.
    pub fn stats(&self) -> &IngestStats {
        &self.stats
    }

    /// Beacons waiting in the queue for the writer (not those in the batch being written).
    pub fn depth(&self) -> usize {
        self.tx.max_capacity() - self.tx.capacity()
    }
}

impl IngestWriter {
    /// Writes everything still queued, then stops.
    pub async fn shutdown(self) {
        self.stop.send_replace(true);
        for handle in self.handles {
            if let Err(e) = handle.await {
                tracing::error!(error = %e, "ingest writer panicked");
            }
        }
    }
}

/// One writer: takes the queue, waits for a batch, lets the queue go to the next writer and
/// writes. Once stopped, the queue is closed and what is left in it written.
async fn run_writer(
    store: SharedStore,
    rx: Arc<Mutex<mpsc::Receiver<Pending>>>,
    batch: usize,
    stats: Arc<IngestStats>,
    mut stopped: watch::Receiver<bool>,
    commit_seconds: prometheus::Histogram,
) {
    let mut buf = Vec::with_capacity(batch);
    loop {
        {
            let mut rx = rx.lock().await;
            tokio::select! {
                biased;
                n = rx.recv_many(&mut buf, batch) => {
                    if n == 0 {
                        return;
                    }
                }
                _ = stopped.wait_for(|stop| *stop) => {
                    rx.close();
                    continue;
                }
            }
        }
        write(&store, &mut buf, &stats, &commit_seconds).await;
    }
}

/// Writes one batch and answers its senders. A batch the database cannot take now (down, out
/// of disk) is refused at once, whole: the senders retry later. Any other failure is retried,
/// then the batch is written one event at a time, so a single bad record cannot take its
/// neighbours down with it.
async fn write(
    store: &SharedStore,
    buf: &mut Vec<Pending>,
    stats: &IngestStats,
    commit_seconds: &prometheus::Histogram,
) {
    let (events, done): (Vec<IngestEvent>, Vec<_>) =
        buf.drain(..).map(|p| (p.event, p.done)).unzip();
    for attempt in 0..3u32 {
        let timer = commit_seconds.start_timer();
        let written = store.write_batch(&events).await;
        timer.observe_duration();
        match written {
            Ok(()) => {
                stats
                    .written
                    .fetch_add(events.len() as u64, Ordering::Relaxed);
                stats.batches.fetch_add(1, Ordering::Relaxed);
                for d in done {
                    let _ = d.send(Ok(()));
                }
                return;
            }
            Err(e) if e.is_unavailable() => {
                tracing::warn!(error = %e, size = events.len(), "storage unavailable: batch refused");
                stats
                    .failed
                    .fetch_add(events.len() as u64, Ordering::Relaxed);
                for d in done {
                    let _ = d.send(Err(NotStored::Refused));
                }
                return;
            }
            Err(e) => {
                tracing::warn!(error = %e, attempt, size = events.len(), "batch write failed");
                tokio::time::sleep(Duration::from_millis(20 << attempt)).await;
            }
        }
    }
    for (event, d) in events.iter().zip(done) {
        let stored = match store.write_batch(std::slice::from_ref(event)).await {
            Ok(()) => {
                stats.written.fetch_add(1, Ordering::Relaxed);
                Ok(())
            }
            Err(e) => {
                tracing::error!(error = %e, ?event, "event could not be stored");
                stats.failed.fetch_add(1, Ordering::Relaxed);
                Err(NotStored::Refused)
            }
        };
        let _ = d.send(stored);
    }
}

//! The beacon ingest path: handlers push parsed events into a bounded queue; one writer task
//! drains it in batches. A full queue is refused (503) and counted, never silently dropped.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, Notify};
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
    /// Events the database refused even one at a time (logged).
    pub failed: AtomicU64,
    /// Batches written.
    pub batches: AtomicU64,
}

/// The queue is full: the client should retry later.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueFull;

/// The sending side of the ingest queue, cloned into every handler.
#[derive(Debug, Clone)]
pub struct IngestQueue {
    tx: mpsc::Sender<IngestEvent>,
    stats: Arc<IngestStats>,
}

/// The writer task, stopped with [`IngestWriter::shutdown`] after the server stops.
#[derive(Debug)]
pub struct IngestWriter {
    handle: JoinHandle<()>,
    stop: Arc<Notify>,
}

impl IngestQueue {
    /// Starts the writer task and returns the queue feeding it.
    pub fn start(store: SharedStore, capacity: usize, batch: usize) -> (IngestQueue, IngestWriter) {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        let stats = Arc::new(IngestStats::default());
        let stop = Arc::new(Notify::new());
        let handle = tokio::spawn(run_writer(
            store,
            rx,
            batch.max(1),
            stats.clone(),
            stop.clone(),
        ));
        (IngestQueue { tx, stats }, IngestWriter { handle, stop })
    }

    /// Enqueues an event without waiting.
    pub fn push(&self, event: IngestEvent) -> Result<(), QueueFull> {
        match self.tx.try_send(event) {
            Ok(()) => {
                self.stats.accepted.fetch_add(1, Ordering::Relaxed);
                Ok(())
            }
            Err(_) => {
                self.stats
                    .rejected_queue_full
                    .fetch_add(1, Ordering::Relaxed);
                Err(QueueFull)
            }
        }
    }

    /// The counters.
    pub fn stats(&self) -> &IngestStats {
        &self.stats
    }
}

impl IngestWriter {
    /// Writes everything still queued, then stops.
    pub async fn shutdown(self) {
        self.stop.notify_one();
        if let Err(e) = self.handle.await {
            tracing::error!(error = %e, "ingest writer panicked");
        }
    }
}

async fn run_writer(
    store: SharedStore,
    mut rx: mpsc::Receiver<IngestEvent>,
    batch: usize,
    stats: Arc<IngestStats>,
    stop: Arc<Notify>,
) {
    let mut buf = Vec::with_capacity(batch);
    loop {
        tokio::select! {
            n = rx.recv_many(&mut buf, batch) => {
                if n == 0 {
                    return;
                }
            }
            _ = stop.notified() => {
                rx.close();
                while rx.recv_many(&mut buf, batch).await > 0 {
                    write(&store, &mut buf, &stats).await;
                }
                return;
            }
        }
        write(&store, &mut buf, &stats).await;
    }
}

/// Writes one batch; retries it, then falls back to one event at a time so a single bad
/// record cannot take its neighbours down with it.
async fn write(store: &SharedStore, buf: &mut Vec<IngestEvent>, stats: &IngestStats) {
    for attempt in 0..3u32 {
        match store.write_batch(buf).await {
            Ok(()) => {
                stats.written.fetch_add(buf.len() as u64, Ordering::Relaxed);
                stats.batches.fetch_add(1, Ordering::Relaxed);
                buf.clear();
                return;
            }
            Err(e) => {
                tracing::warn!(error = %e, attempt, size = buf.len(), "batch write failed");
                tokio::time::sleep(Duration::from_millis(100 << attempt)).await;
            }
        }
    }
    for event in buf.drain(..) {
        match store.write_batch(std::slice::from_ref(&event)).await {
            Ok(()) => stats.written.fetch_add(1, Ordering::Relaxed),
            Err(e) => {
                tracing::error!(error = %e, ?event, "event could not be stored");
                stats.failed.fetch_add(1, Ordering::Relaxed)
            }
        };
    }
}

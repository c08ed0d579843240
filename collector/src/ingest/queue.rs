//! A group-commit queue: handlers push items into a bounded queue and wait; writer tasks
//! drain it in batches and answer every item once its batch is committed. While one
//! writer's batch is in the database, the next takes what has queued meanwhile, so the cost
//! of a commit is shared by everyone waiting for it.
//!
//! An acknowledgement is sent only after what it acknowledges is durable. A full queue is
//! refused (503) and counted, never silently dropped; a batch the database will not take is
//! answered 503 too, so the sender keeps the item and retries.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::{mpsc, oneshot, watch, Mutex};
use tokio::task::JoinHandle;

use crate::storage::StoreError;

/// How one kind of item is written: a batch in one transaction, an answer per item in order.
#[async_trait]
pub trait Batch: Send + Sync + 'static {
    /// What is queued.
    type Item: Send + Sync + fmt::Debug + 'static;
    /// What each sender learns once its item is committed.
    type Answer: Send + 'static;
    /// Writes `items` in one transaction; their answers in order.
    async fn write(&self, items: &[Self::Item]) -> Result<Vec<Self::Answer>, StoreError>;
}

/// Counters of a queue, readable at `/health` and `/metrics`.
#[derive(Debug, Default, serde::Serialize)]
pub struct QueueStats {
    /// Items accepted into the queue.
    pub accepted: AtomicU64,
    /// Items refused because the queue was full.
    pub rejected_queue_full: AtomicU64,
    /// Items written to the database.
    pub written: AtomicU64,
    /// Items the database refused, even one at a time (answered 503, logged).
    pub failed: AtomicU64,
    /// Batches written.
    pub batches: AtomicU64,
}

/// Why an item was not stored; the sender should retry later.
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

/// An item and whoever waits for its commit.
struct Pending<B: Batch> {
    item: B::Item,
    done: oneshot::Sender<Result<B::Answer, NotStored>>,
}

/// The sending side of a queue, cloned into every handler.
pub struct Queue<B: Batch> {
    tx: mpsc::Sender<Pending<B>>,
    stats: Arc<QueueStats>,
}

impl<B: Batch> Clone for Queue<B> {
    fn clone(&self) -> Self {
        Queue {
            tx: self.tx.clone(),
            stats: self.stats.clone(),
        }
    }
}

impl<B: Batch> fmt::Debug for Queue<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Queue")
            .field("depth", &self.depth())
            .field("stats", &self.stats)
            .finish()
    }
}

/// The writer tasks, stopped with [`Writers::shutdown`] after the server stops (dropped, it
/// stops them the same way without waiting: the queue is closed and what it holds written).
#[derive(Debug)]
pub struct Writers {
    handles: Vec<JoinHandle<()>>,
    stop: watch::Sender<bool>,
}

/// What every writer of one queue shares.
struct Shared<B: Batch> {
    batch: B,
    rx: Mutex<mpsc::Receiver<Pending<B>>>,
    size: usize,
    stats: Arc<QueueStats>,
    commit_seconds: prometheus::Histogram,
}

impl<B: Batch> Queue<B> {
    /// Starts `writers` writer tasks writing at most `size` items per batch with `batch`,
    /// and returns the queue (of `capacity` items) feeding them. `commit_seconds` times
    /// every batch write (`/metrics`).
    pub fn start(
        batch: B,
        capacity: usize,
        size: usize,
        writers: usize,
        commit_seconds: prometheus::Histogram,
    ) -> (Queue<B>, Writers) {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        let stats = Arc::new(QueueStats::default());
        let shared = Arc::new(Shared {
            batch,
            rx: Mutex::new(rx),
            size: size.max(1),
            stats: stats.clone(),
            commit_seconds,
        });
        let (stop, stopped) = watch::channel(false);
        let handles = (0..writers.max(1))
            .map(|_| tokio::spawn(run_writer(shared.clone(), stopped.clone())))
            .collect();
        (Queue { tx, stats }, Writers { handles, stop })
    }

    /// Stores `items` and returns their answers once they are committed, in one batch or
    /// neighbouring ones. Refused at once, with nothing queued, if the queue has no room for
    /// all of them.
    pub async fn store(&self, items: Vec<B::Item>) -> Result<Vec<B::Answer>, NotStored> {
        let n = items.len();
        let permits = match self.tx.try_reserve_many(n) {
            Ok(permits) => permits,
            Err(_) => {
                let rejected = &self.stats.rejected_queue_full;
                rejected.fetch_add(n as u64, Ordering::Relaxed);
                return Err(NotStored::QueueFull);
            }
        };
        self.stats.accepted.fetch_add(n as u64, Ordering::Relaxed);
        let mut waiting = Vec::with_capacity(n);
        for (permit, item) in permits.zip(items) {
            let (done, answer) = oneshot::channel();
            permit.send(Pending { item, done });
            waiting.push(answer);
        }
        let mut answers = Vec::with_capacity(n);
        for answer in waiting {
            // A writer gone without answering (shut down mid-batch) stored nothing we know of.
            answers.push(answer.await.unwrap_or(Err(NotStored::Refused))?);
        }
        Ok(answers)
    }

    /// The counters.
    pub fn stats(&self) -> &QueueStats {
        &self.stats
    }

    /// The counters, shared.
    pub fn stats_handle(&self) -> Arc<QueueStats> {
        self.stats.clone()
    }

    /// Items waiting in the queue for a writer (not those in the batch being written).
    pub fn depth(&self) -> usize {
        self.tx.max_capacity() - self.tx.capacity()
    }
}

impl Writers {
    /// Writes everything still queued, then stops.
    pub async fn shutdown(self) {
        self.stop.send_replace(true);
        for handle in self.handles {
            if let Err(e) = handle.await {
                tracing::error!(error = %e, "queue writer panicked");
            }
        }
    }
}

/// One writer: takes the queue, waits for a batch, lets the queue go to the next writer and
/// writes. Once stopped, the queue is closed and what is left in it written.
async fn run_writer<B: Batch>(shared: Arc<Shared<B>>, mut stopped: watch::Receiver<bool>) {
    let mut buf = Vec::with_capacity(shared.size);
    loop {
        {
            let mut rx = shared.rx.lock().await;
            tokio::select! {
                biased;
                n = rx.recv_many(&mut buf, shared.size) => {
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
        write(&shared, &mut buf).await;
    }
}

/// Writes one batch and answers its senders. A batch the database cannot take now (down, out
/// of disk) is refused at once, whole: the senders retry later. Any other failure is retried,
/// then the batch is written one item at a time, so a single bad item cannot take its
/// neighbours down with it.
async fn write<B: Batch>(shared: &Shared<B>, buf: &mut Vec<Pending<B>>) {
    let stats = &shared.stats;
    let (items, done): (Vec<B::Item>, Vec<_>) = buf.drain(..).map(|p| (p.item, p.done)).unzip();
    for attempt in 0..3u32 {
        let timer = shared.commit_seconds.start_timer();
        let written = shared.batch.write(&items).await;
        timer.observe_duration();
        match written {
            Ok(answers) => {
                stats
                    .written
                    .fetch_add(items.len() as u64, Ordering::Relaxed);
                stats.batches.fetch_add(1, Ordering::Relaxed);
                for (d, answer) in done.into_iter().zip(answers) {
                    let _ = d.send(Ok(answer));
                }
                return;
            }
            Err(e) if e.is_unavailable() => {
                tracing::warn!(error = %e, size = items.len(), "storage unavailable: batch refused");
                stats
                    .failed
                    .fetch_add(items.len() as u64, Ordering::Relaxed);
                for d in done {
                    let _ = d.send(Err(NotStored::Refused));
                }
                return;
            }
            Err(e) => {
                tracing::warn!(error = %e, attempt, size = items.len(), "batch write failed");
                tokio::time::sleep(Duration::from_millis(20 << attempt)).await;
            }
        }
    }
    for (item, d) in items.iter().zip(done) {
        let stored = match shared.batch.write(std::slice::from_ref(item)).await {
            // A batch of one answers once; were it not to, its sender is told it failed.
            Ok(mut answers) => answers.pop().ok_or(NotStored::Refused),
            Err(e) => {
                tracing::error!(error = %e, ?item, "item could not be stored");
                Err(NotStored::Refused)
            }
        };
        let counter = if stored.is_ok() {
            &stats.written
        } else {
            &stats.failed
        };
        counter.fetch_add(1, Ordering::Relaxed);
        let _ = d.send(stored);
    }
}

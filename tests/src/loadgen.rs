//! A lean HTTP/1.1 load generator: `connections` tasks, each with one keep-alive connection
//! ([`crate::http1`], no pool, no pipelining) sending the next request of its own
//! [`Traffic`] as soon as the previous answer is read. On the project's 2-core machine it
//! drives the bare actix-web server about as hard as `wrk -t2` does (110–140k requests/s),
//! using about one core to do it. It records answers by status and the latency of every
//! acknowledgement (send to last byte of the answer), and can keep what the acknowledged
//! requests promised.
//!
//! It runs until its [`Stop`] says so; requests already sent are answered first. A connection
//! that fails is counted and opened again; one that cannot be opened ends its task (the
//! server is gone: the crash test kills it).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::http1::Connection;
use crate::traffic::{Promise, Traffic};

/// Longest one request may take before it counts as failed.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// When a run stops sending.
#[derive(Debug)]
pub struct Stop {
    deadline: Option<Instant>,
    ack_limit: u64,
    acked: AtomicU64,
    stopped: AtomicBool,
}

impl Stop {
    /// At `deadline`.
    pub fn at(deadline: Instant) -> Arc<Stop> {
        Arc::new(Stop {
            deadline: Some(deadline),
            ack_limit: u64::MAX,
            acked: AtomicU64::new(0),
            stopped: AtomicBool::new(false),
        })
    }

    /// Once `n` requests are acknowledged (a few more may be in flight then).
    pub fn after_acks(n: u64) -> Arc<Stop> {
        Arc::new(Stop {
            deadline: None,
            ack_limit: n,
            acked: AtomicU64::new(0),
            stopped: AtomicBool::new(false),
        })
    }

    /// When [`Stop::now`] is called, or the server goes away.
    pub fn by_hand() -> Arc<Stop> {
        Stop::after_acks(u64::MAX)
    }

    /// Stops sending.
    pub fn now(&self) {
        self.stopped.store(true, Ordering::Relaxed);
    }

    /// Requests acknowledged so far.
    pub fn acked(&self) -> u64 {
        self.acked.load(Ordering::Relaxed)
    }

    fn done(&self) -> bool {
        self.stopped.load(Ordering::Relaxed)
            || self.acked() >= self.ack_limit
            || self.deadline.is_some_and(|d| Instant::now() >= d)
    }
}

/// How a run sends.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// Concurrent connections, each with one request in flight.
    pub connections: usize,
    /// Promises kept per connection (the crash test keeps all, the benchmark a sample).
    pub keep: usize,
    /// Pause of a connection after a `503` before it sends the same request again, as the
    /// snippet does; `None` moves on to the next request at once (a closed loop at full
    /// pressure).
    pub backoff_503: Option<Duration>,
}

/// What a run got back.
#[derive(Debug, Default)]
pub struct Outcome {
    /// `2xx` answers.
    pub acked: u64,
    /// `503` answers.
    pub unavailable: u64,
    /// Other answers.
    pub refused: u64,
    /// Requests without an answer: the connection failed or the request timed out.
    pub failed: u64,
    /// Latency of every `2xx`, in microseconds.
    pub latencies_us: Vec<u32>,
    /// What acknowledged requests promised (up to [`Plan::keep`] per connection).
    pub promises: Vec<Promise>,
    /// The first few answers that were not `2xx`, for the report.
    pub samples: Vec<String>,
    /// From the first request to the last answer.
    pub elapsed: Duration,
}

impl Outcome {
    /// Acknowledged requests per second.
    pub fn per_second(&self) -> f64 {
        self.acked as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// Every answer and failure.
    pub fn total(&self) -> u64 {
        self.acked + self.unavailable + self.refused + self.failed
    }

    fn absorb(&mut self, other: Outcome) {
        self.acked += other.acked;
        self.unavailable += other.unavailable;
        self.refused += other.refused;
        self.failed += other.failed;
        self.latencies_us.extend(other.latencies_us);
        self.promises.extend(other.promises);
        self.samples.extend(other.samples);
        self.samples.truncate(5);
    }
}

/// Sends the traffic `make(i)` gives connection `i` to `addr` until `stop`.
pub async fn run<T: Traffic>(
    addr: SocketAddr,
    plan: Plan,
    stop: Arc<Stop>,
    make: impl Fn(usize) -> T,
) -> Outcome {
    let started = Instant::now();
    let tasks: Vec<_> = (0..plan.connections)
        .map(|i| tokio::spawn(connection(addr, plan, stop.clone(), make(i))))
        .collect();
    let mut total = Outcome::default();
    for task in tasks {
        total.absorb(task.await.expect("a load connection panicked"));
    }
    total.elapsed = started.elapsed();
    total
}

async fn connection<T: Traffic>(
    addr: SocketAddr,
    plan: Plan,
    stop: Arc<Stop>,
    mut traffic: T,
) -> Outcome {
    let mut out = Outcome::default();
    // A request answered 503, to send again after the pause.
    let mut retry = None;
    'connect: while !stop.done() {
        let Ok(mut conn) = Connection::open(addr).await else {
            out.failed += 1;
            break;
        };
        while !stop.done() {
            let r = retry.take().unwrap_or_else(|| traffic.next_request());
            let sent = Instant::now();
            let Ok(Ok(answer)) = tokio::time::timeout(REQUEST_TIMEOUT, conn.post(&r)).await else {
                out.failed += 1;
                continue 'connect;
            };
            let status = answer.status;
            if (200..300).contains(&status) {
                out.acked += 1;
                stop.acked.fetch_add(1, Ordering::Relaxed);
                let us = sent.elapsed().as_micros().min(u32::MAX as u128) as u32;
                out.latencies_us.push(us);
                if out.promises.len() < plan.keep {
                    out.promises.push(r.promise);
                }
            } else {
                if out.samples.len() < 5 {
                    let body = &answer.body[..answer.body.len().min(200)];
                    let body = String::from_utf8_lossy(body);
                    out.samples.push(format!("{} {status}: {body}", r.path));
                }
                if status == 503 {
                    out.unavailable += 1;
                    if let Some(pause) = plan.backoff_503 {
                        tokio::time::sleep(pause).await;
                        retry = Some(r);
                    }
                } else {
                    out.refused += 1;
                }
            }
            if conn.closing() {
                continue 'connect;
            }
        }
    }
    out
}

/// The `p`-quantile (0–1) of `sorted` latencies in milliseconds; 0 without any.
pub fn quantile_ms(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    f64::from(sorted[i]) / 1000.0
}

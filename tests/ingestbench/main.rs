//! The ingest benchmark: the real `chatrail` binary (one or several builds) and a bare
//! actix-web server answering `POST → 204`, as separate processes on loopback ports, loaded
//! in the same session and interleaved round by round (build, bare, next build, bare, …), on
//! SQLite and PostgreSQL.
//!
//! ```sh
//! cargo build --release -p chatrail-collector -p chatrail-tests --bins
//! target/release/ingestbench --backend both
//! ```
//!
//! Paths: visit beacons and click beacons (64 connections), signed Cloud API webhooks (8 and
//! 32 concurrent deliveries); then, after `--clicks-before` sessions that each clicked the
//! tracked number, the webhooks again (the probable match reads the clicks on the number). Reported
//! per path and database: requests acknowledged per second, their share of the bare server's
//! rate in the neighbouring rounds, p50/p99 acknowledgement latency, the shares of `503` and
//! other answers, and the `chatrail` process's RSS before, during and after the load. The
//! README (tests/README.md) says how to measure a previous build beside this one.

mod args;
mod report;
mod running;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use chatrail_tests::app::Backend;
use chatrail_tests::loadgen::{self, Outcome, Plan, Stop};
use chatrail_tests::process::{self, Server, SITE};
use chatrail_tests::traffic::{Clicks, Promise, Visits, Webhooks};

use args::{Load, Options};
use report::{Cpu, Run, Target};
use running::{seed_clicks, Running};

/// Unrecorded load before each path's first round, so no round pays for a cold start.
const WARMUP: Duration = Duration::from_secs(1);
/// Session codes kept from acknowledged visits, for messages to carry.
const CODES_KEPT: usize = 10_000;

/// One round of `load` against `server` for `seconds`, with the CPU the server and this
/// process (the load generator) used meanwhile.
async fn measure(
    server: &Server,
    load: Load,
    o: &Options,
    seconds: Duration,
    codes: &Arc<Vec<String>>,
    seed: u64,
) -> (Outcome, Cpu) {
    let stop = Stop::at(Instant::now() + seconds);
    let plan = |connections| Plan {
        connections,
        keep: if load == Load::Visits {
            CODES_KEPT / o.connections + 1
        } else {
            0
        },
        backoff_503: None,
    };
    let seed = |i: usize| seed << 16 | i as u64;
    let (pid, me) = (server.pid().unwrap_or(0), std::process::id());
    let cpu = || {
        (
            process::cpu_seconds(pid),
            process::cpu_seconds(me),
            process::machine_busy_seconds(),
        )
    };
    let start = cpu();
    let addr = server.addr;
    let out = match load {
        Load::Visits => {
            loadgen::run(addr, plan(o.connections), stop, |i| {
                Visits::new(SITE, seed(i))
            })
            .await
        }
        Load::Clicks => {
            loadgen::run(addr, plan(o.connections), stop, |i| {
                Clicks::new(SITE, seed(i))
            })
            .await
        }
        Load::Inbound(d) => {
            loadgen::run(addr, plan(d), stop, |i| {
                Webhooks::new(seed(i), codes.clone())
            })
            .await
        }
    };
    let end = cpu();
    let cores =
        |a: Option<f64>, b: Option<f64>| Some((b? - a?) / out.elapsed.as_secs_f64().max(1e-9));
    let (server, client) = (cores(start.0, end.0), cores(start.1, end.1));
    let machine = cores(start.2, end.2);
    let rest = (|| Some((machine? - server? - client?).max(0.0)))();
    let cpu = Cpu {
        server,
        client,
        rest,
    };
    (out, cpu)
}

/// Most a round waits for the machine to be quiet before it starts.
const SETTLE_MAX: Duration = Duration::from_secs(10);

/// Waits until the machine is quiet (under 0.3 busy cores over 200 ms), at most
/// [`SETTLE_MAX`], so no round pays for work the previous one left behind: a build that
/// acknowledges before it writes goes on writing after its round, PostgreSQL flushes.
async fn settle() {
    let started = Instant::now();
    while started.elapsed() < SETTLE_MAX {
        let Some(before) = process::machine_busy_seconds() else {
            return;
        };
        tokio::time::sleep(Duration::from_millis(200)).await;
        let after = process::machine_busy_seconds().unwrap_or(before);
        if (after - before) / 0.2 < 0.3 {
            return;
        }
    }
    eprintln!("  (the machine stayed busy for {SETTLE_MAX:?} before this round)");
}

/// A benchmark session on one database: the options, the bare server, the runs so far.
struct Session<'a> {
    o: &'a Options,
    bare: &'a Server,
    runs: Vec<Run>,
    /// Every run's traffic is seeded apart, so ids never repeat.
    seed: u64,
}

impl Session<'_> {
    fn next_seed(&mut self) -> u64 {
        self.seed += 1;
        self.seed
    }

    /// Runs every round of `load` on every build (or only build `only`) and the bare
    /// server, interleaved.
    async fn rounds(
        &mut self,
        load: Load,
        after: bool,
        builds: &mut [Running],
        only: Option<usize>,
    ) {
        let (o, bare) = (self.o, self.bare);
        let no_codes = Arc::new(Vec::new());
        let picked = |b: &usize| only.is_none_or(|o| o == *b);
        for (_, running) in builds.iter_mut().enumerate().filter(|(b, _)| picked(b)) {
            running.first_load.get_or_insert_with(Instant::now);
            let seed = self.next_seed();
            measure(&running.server, load, o, WARMUP, &running.codes, seed).await;
            running.last_load = Some(Instant::now());
            if let Err(e) = running.analyze().await {
                eprintln!("  (ANALYZE failed: {e:#})");
            }
        }
        let seed = self.next_seed();
        measure(bare, load, o, WARMUP, &no_codes, seed).await;
        let seconds = Duration::from_secs_f64(o.seconds);
        for round in 1..=o.rounds {
            for (b, running) in builds.iter_mut().enumerate().filter(|(b, _)| picked(b)) {
                settle().await;
                let seed = self.next_seed();
                let measured =
                    measure(&running.server, load, o, seconds, &running.codes, seed).await;
                running.last_load = Some(Instant::now());
                if load == Load::Visits && running.codes.len() < CODES_KEPT {
                    let mut codes = running.codes.to_vec();
                    codes.extend(measured.0.promises.iter().filter_map(|p| match p {
                        Promise::PageView { code, .. } => Some(code.clone()),
                        _ => None,
                    }));
                    codes.truncate(CODES_KEPT);
                    running.codes = Arc::new(codes);
                }
                self.record(load, after, Target::Build(b), measured, round);
                settle().await;
                let seed = self.next_seed();
                let measured = measure(bare, load, o, seconds, &no_codes, seed).await;
                self.record(load, after, Target::Bare, measured, round);
            }
        }
    }

    fn record(
        &mut self,
        load: Load,
        after: bool,
        target: Target,
        (out, cpu): (Outcome, Cpu),
        round: usize,
    ) {
        progress(load, after, round, target, &out, &cpu);
        self.runs.push(Run {
            load,
            after_clicks: after,
            target,
            out,
            cpu,
        });
    }
}

fn progress(load: Load, after: bool, round: usize, who: Target, out: &Outcome, cpu: &Cpu) {
    eprintln!(
        "  {}{} round {round} {who:?}: {:.0}/s acked, CPU {:.2} server, {:.2} load generator, {:.2} rest, {} × 503, {} other, {} failed{}",
        report::load_name(load, None),
        if after { " after clicks" } else { "" },
        out.per_second(),
        cpu.server.unwrap_or(f64::NAN),
        cpu.client.unwrap_or(f64::NAN),
        cpu.rest.unwrap_or(f64::NAN),
        out.unavailable,
        out.refused,
        out.failed,
        out.samples
            .first()
            .map(|s| format!(" (e.g. {s})"))
            .unwrap_or_default(),
    );
}

async fn bench_backend(
    backend: Backend,
    o: &Options,
    bare: &Server,
    logs: &Path,
    seed: &mut u64,
) -> anyhow::Result<Vec<String>> {
    let name = format!("{backend:?}").to_lowercase();
    eprintln!("{name}: starting {} build(s)", o.builds.len());
    let mut builds = Vec::new();
    for (b, build) in o.builds.iter().enumerate() {
        let log = logs.join(format!("{name}-build{b}.log"));
        builds.push(
            Running::start(&build.bin, backend, o, &log)
                .await
                .with_context(|| format!("starting {}", build.bin.display()))?,
        );
    }
    let mut session = Session {
        o,
        bare,
        runs: Vec::new(),
        seed: *seed,
    };
    for load in o.loads() {
        session.rounds(load, false, &mut builds, None).await;
    }
    let mut seeding = Vec::new();
    if o.inbound && o.clicks_before > 0 {
        // One build at a time, each seeded just before its rounds: the probable match reads
        // only the clicks of the last 10 minutes.
        for b in 0..builds.len() {
            eprintln!("  seeding {} clicks into build {b}", o.clicks_before);
            let started = Instant::now();
            let seed = session.next_seed();
            let mut s = seed_clicks(&mut builds[b], o, seed).await?;
            for &d in &o.deliveries {
                session
                    .rounds(Load::Inbound(d), true, &mut builds, Some(b))
                    .await;
            }
            s.span = started.elapsed().as_secs_f64();
            seeding.push(report::seeding_line(
                &name,
                &o.builds[b].label,
                o.connections,
                &s,
            ));
            eprintln!("{}", seeding.last().expect("a line"));
        }
    }
    *seed = session.seed;
    let runs = session.runs;
    let last = builds.iter().filter_map(|r| r.last_load).max();
    if let Some(wait) =
        last.map(|l| (l + Duration::from_secs(31)).saturating_duration_since(Instant::now()))
    {
        eprintln!(
            "  waiting {:.0} s for the memory figures after load",
            wait.as_secs_f64()
        );
        tokio::time::sleep(wait).await;
    }
    let labels: Vec<String> = o.builds.iter().map(|b| b.label.clone()).collect();
    let mut lines = vec![report::HEADER.to_owned()];
    lines.extend(report::rows(
        &runs,
        &name,
        &labels,
        &o.loads(),
        o.clicks_before,
    ));
    lines.push(String::new());
    lines.push(report::MEMORY_HEADER.to_owned());
    for (b, running) in builds.iter().enumerate() {
        lines.push(report::memory_row(&name, &labels[b], &running.memory()));
    }
    if !seeding.is_empty() {
        lines.push(String::new());
        lines
            .push("Clicks before the \"after\" rows, posted as the snippet sends them:".to_owned());
        lines.extend(seeding);
    }
    for running in &builds {
        if let Some(line) = running
            .server
            .log_tail()
            .lines()
            .find(|l| l.contains("ERROR") || l.contains("panicked"))
        {
            eprintln!("  note: the server logged: {line}");
        }
    }
    Ok(lines)
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<()> {
    let o = args::parse()?;
    // An acknowledgement means "durably stored": PostgreSQL keeps fsync and synchronous
    // commit on.
    chatrail_tests::postgres::use_durable_settings();
    let logs = tempfile::Builder::new().prefix("ingestbench-").tempdir()?;
    let bare_bin = std::env::current_exe()?.with_file_name("barepost");
    anyhow::ensure!(
        bare_bin.is_file(),
        "no barepost next to this binary: cargo build --release -p chatrail-tests --bins"
    );
    let addr = process::free_addr()?;
    let bare_log = logs.path().join("barepost.log");
    let mut cmd = process::command(&bare_bin, &bare_log)?;
    cmd.args([
        "--listen",
        &addr.to_string(),
        "--workers",
        &o.workers.to_string(),
    ]);
    let bare = Server::start(cmd, addr, &bare_log).await?;
    let mut out = vec![report::header(&o)];
    let mut seed = 0u64;
    for &backend in &o.backends {
        out.extend(bench_backend(backend, &o, &bare, logs.path(), &mut seed).await?);
        out.push(String::new());
    }
    println!("{}", out.join("\n"));
    Ok(())
}

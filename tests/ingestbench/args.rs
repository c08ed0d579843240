//! The benchmark's command line.

use std::path::PathBuf;

use anyhow::{bail, Context};
use chatrail_tests::app::Backend;

/// A `chatrail` binary to measure, and what to call it in the table.
#[derive(Debug, Clone)]
pub struct Build {
    pub label: String,
    pub bin: PathBuf,
}

/// One path of the ingest, with its concurrency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Load {
    /// Visit beacons.
    Visits,
    /// Click beacons.
    Clicks,
    /// Cloud API webhooks, this many concurrent deliveries.
    Inbound(usize),
}

#[derive(Debug, Clone)]
pub struct Options {
    pub backends: Vec<Backend>,
    pub builds: Vec<Build>,
    pub rounds: usize,
    pub seconds: f64,
    pub connections: usize,
    pub deliveries: Vec<usize>,
    pub clicks_before: u64,
    pub workers: usize,
    pub beacons: bool,
    pub inbound: bool,
}

pub fn usage() -> &'static str {
    "usage: ingestbench [--backend sqlite|postgres|both (default both)] \
     [--chatrail [LABEL=]PATH (repeatable; default: `chatrail` next to this binary)] \
     [--rounds N (default 3)] [--seconds S per round (default 5)] \
     [--connections C for beacons (default 64)] [--deliveries 8,32 (concurrent webhooks)] \
     [--clicks-before N (default 1000000; 0: skip)] [--workers W (default: one per core)] \
     [--paths beacons,inbound (default both)]"
}

/// The `chatrail` built next to this binary (`cargo build --release -p chatrail-collector`
/// puts both in `target/release`).
fn sibling_chatrail() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe().context("finding this binary")?;
    Ok(exe.with_file_name("chatrail"))
}

pub fn parse() -> anyhow::Result<Options> {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let mut o = Options {
        backends: vec![Backend::Sqlite, Backend::Postgres],
        builds: Vec::new(),
        rounds: 3,
        seconds: 5.0,
        connections: 64,
        deliveries: vec![8, 32],
        clicks_before: 1_000_000,
        workers: cores,
        beacons: true,
        inbound: true,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        if flag == "--help" || flag == "-h" {
            println!("{}", usage());
            std::process::exit(0);
        }
        let value = it
            .next()
            .with_context(|| format!("{flag} needs a value\n{}", usage()))?;
        let number = || -> anyhow::Result<u64> {
            value
                .replace(['_', ','], "")
                .parse()
                .with_context(|| format!("{flag} {value:?} is not a number"))
        };
        match flag.as_str() {
            "--backend" => o.backends = chatrail_tests::bench_args::backends(value)?,
            "--chatrail" => {
                let (label, path) = match value.split_once('=') {
                    Some((label, path)) => (label.to_owned(), path),
                    None => (value.clone(), value.as_str()),
                };
                o.builds.push(Build {
                    label,
                    bin: PathBuf::from(path),
                });
            }
            "--rounds" => o.rounds = number()? as usize,
            "--seconds" => {
                o.seconds = value
                    .parse()
                    .with_context(|| format!("--seconds {value:?} is not a number"))?
            }
            "--connections" => o.connections = number()? as usize,
            "--deliveries" => {
                o.deliveries = value
                    .split(',')
                    .map(|v| v.trim().parse::<usize>())
                    .collect::<Result<_, _>>()
                    .with_context(|| format!("--deliveries {value:?}: numbers, comma-separated"))?
            }
            "--clicks-before" => o.clicks_before = number()?,
            "--workers" => o.workers = number()? as usize,
            "--paths" => {
                let paths: Vec<&str> = value.split(',').map(str::trim).collect();
                o.beacons = paths.contains(&"beacons");
                o.inbound = paths.contains(&"inbound");
                if paths.iter().any(|p| !matches!(*p, "beacons" | "inbound")) {
                    bail!("--paths takes beacons and/or inbound");
                }
            }
            _ => bail!("unknown flag {flag}\n{}", usage()),
        }
    }
    if o.builds.is_empty() {
        let bin = sibling_chatrail()?;
        o.builds.push(Build {
            label: "chatrail".into(),
            bin,
        });
    }
    for b in &o.builds {
        if !b.bin.is_file() {
            bail!(
                "no chatrail binary at {} (build it: cargo build --release -p chatrail-collector, \
                 or name one with --chatrail PATH)",
                b.bin.display()
            );
        }
    }
    if !(1..=20).contains(&o.rounds)
        || !(0.5..=120.0).contains(&o.seconds)
        || !(1..=1024).contains(&o.connections)
        || o.deliveries.iter().any(|d| !(1..=1024).contains(d))
        || o.clicks_before > 10_000_000
        || !(1..=256).contains(&o.workers)
    {
        bail!(
            "out of bounds: rounds 1-20, seconds 0.5-120, connections and deliveries 1-1024, \
             clicks-before up to 10,000,000, workers 1-256"
        );
    }
    Ok(o)
}

impl Options {
    /// The loads measured before the clicks are seeded, in order: the click rounds last, so
    /// the webhook rounds before them find no clicks on the number (the probable match
    /// reads those of the last 10 minutes).
    pub fn loads(&self) -> Vec<Load> {
        let mut loads = Vec::new();
        if self.beacons {
            loads.push(Load::Visits);
        }
        if self.inbound {
            loads.extend(self.deliveries.iter().map(|&d| Load::Inbound(d)));
        }
        if self.beacons {
            loads.push(Load::Clicks);
        }
        loads
    }
}

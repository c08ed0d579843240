//! The benchmark's tables, in Markdown, ready to paste into an issue note.

use std::fmt::Write;

use chatrail_tests::loadgen::{quantile_ms, Outcome};

use crate::args::{Load, Options};

/// Who served a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The `chatrail` build with this index.
    Build(usize),
    /// The bare actix-web server.
    Bare,
}

/// One measured run.
#[derive(Debug)]
pub struct Run {
    pub load: Load,
    /// Measured after the clicks were seeded.
    pub after_clicks: bool,
    pub target: Target,
    pub out: Outcome,
    pub cpu: Cpu,
}

/// CPU used during a run, in cores (1.0: one core all the time).
#[derive(Debug, Clone, Copy, Default)]
pub struct Cpu {
    /// By the server process (PostgreSQL's own processes not counted).
    pub server: Option<f64>,
    /// By this process: the load generator.
    pub client: Option<f64>,
    /// By everything else: the kernel's network work not charged to either process,
    /// PostgreSQL's processes, and whatever else runs on the machine.
    pub rest: Option<f64>,
}

/// Resident memory of one build's process, in KiB.
#[derive(Debug, Clone, Copy, Default)]
pub struct Memory {
    pub before: u64,
    pub peak: u64,
    pub after_5s: Option<u64>,
    pub after_30s: Option<u64>,
}

/// How the clicks were seeded into one build's database.
#[derive(Debug, Clone)]
pub struct Seeding {
    pub accepted: u64,
    pub unavailable: u64,
    pub seconds: f64,
    /// Until the collector had written every accepted beacon (`/health`).
    pub written_after: f64,
    /// From the first click to the end of the last round after the clicks.
    pub span: f64,
}

fn thousands(n: f64) -> String {
    let s = format!("{:.0}", n.max(0.0));
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn mib(kib: u64) -> String {
    format!("{:.0} MB", kib as f64 / 1024.0)
}

fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "–".into();
    }
    format!("{:.1}%", 100.0 * part as f64 / whole as f64)
}

/// `mean (min–max)` of `values`, formatted by `f`.
fn spread(values: &[f64], f: impl Fn(f64) -> String) -> String {
    if values.is_empty() {
        return "–".into();
    }
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(0.0, f64::max);
    if values.len() == 1 {
        return f(mean);
    }
    format!("{} ({}–{})", f(mean), f(min), f(max))
}

pub fn load_name(load: Load, after: Option<u64>) -> String {
    let base = match load {
        Load::Visits => "visits".to_owned(),
        Load::Clicks => "clicks".to_owned(),
        Load::Inbound(d) => format!("inbound Cloud API, {d} concurrent"),
    };
    match after {
        Some(n) => format!("{base}, after {} clicks", thousands(n as f64)),
        None => base,
    }
}

/// The bare server's rate in the runs just before and after run `i` of the same load.
fn neighbouring_bare(runs: &[Run], i: usize) -> Option<f64> {
    let same = |r: &&Run| {
        r.target == Target::Bare && r.load == runs[i].load && r.after_clicks == runs[i].after_clicks
    };
    let before = runs[..i].iter().rev().find(same);
    let after = runs[i + 1..].iter().find(same);
    let rates: Vec<f64> = before
        .into_iter()
        .chain(after)
        .map(|r| r.out.per_second())
        .collect();
    (!rates.is_empty()).then(|| rates.iter().sum::<f64>() / rates.len() as f64)
}

/// One row of the main table: every run of `target` on `load`.
fn row(
    runs: &[Run],
    backend: &str,
    name: &str,
    load: Load,
    after: bool,
    target: Target,
    label: &str,
) -> Option<String> {
    let picked: Vec<usize> = (0..runs.len())
        .filter(|&i| {
            runs[i].load == load && runs[i].after_clicks == after && runs[i].target == target
        })
        .collect();
    if picked.is_empty() {
        return None;
    }
    let rates: Vec<f64> = picked.iter().map(|&i| runs[i].out.per_second()).collect();
    let shares: Vec<f64> = picked
        .iter()
        .filter_map(|&i| Some(100.0 * runs[i].out.per_second() / neighbouring_bare(runs, i)?))
        .collect();
    let mut latencies: Vec<u32> = picked
        .iter()
        .flat_map(|&i| runs[i].out.latencies_us.iter().copied())
        .collect();
    latencies.sort_unstable();
    let sum = |f: fn(&Outcome) -> u64| picked.iter().map(|&i| f(&runs[i].out)).sum::<u64>();
    let total = sum(Outcome::total);
    let share = match target {
        Target::Bare => "100%".to_owned(),
        Target::Build(_) => spread(&shares, |v| format!("{v:.1}%")),
    };
    let mut rate = spread(&rates, thousands);
    if after {
        let before: Vec<f64> = runs
            .iter()
            .filter(|r| r.load == load && !r.after_clicks && r.target == target)
            .map(|r| r.out.per_second())
            .collect();
        if !before.is_empty() {
            let before = before.iter().sum::<f64>() / before.len() as f64;
            let now = rates.iter().sum::<f64>() / rates.len() as f64;
            let _ = write!(rate, "; {:.0}% of before", 100.0 * now / before);
        }
    }
    let mean_cpu = |f: fn(&Cpu) -> Option<f64>| {
        let v: Vec<f64> = picked.iter().filter_map(|&i| f(&runs[i].cpu)).collect();
        if v.is_empty() {
            return "–".to_owned();
        }
        format!("{:.2}", v.iter().sum::<f64>() / v.len() as f64)
    };
    let cpu = format!(
        "{} / {} / {}",
        mean_cpu(|c| c.server),
        mean_cpu(|c| c.client),
        mean_cpu(|c| c.rest)
    );
    Some(format!(
        "| {name} | {backend} | {label} | {rate} | {share} | {:.1} | {:.1} | {} | {} | {} | {cpu} |",
        quantile_ms(&latencies, 0.50),
        quantile_ms(&latencies, 0.99),
        percent(sum(|o| o.unavailable), total),
        percent(sum(|o| o.refused), total),
        sum(|o| o.failed),
    ))
}

/// The main table's rows for one backend.
pub fn rows(
    runs: &[Run],
    backend: &str,
    labels: &[String],
    loads: &[Load],
    clicks_before: u64,
) -> Vec<String> {
    let mut out = Vec::new();
    for after in [false, true] {
        for &load in loads {
            let name = load_name(load, after.then_some(clicks_before));
            let bare = [(Target::Bare, "bare actix-web POST→204")];
            let builds = labels.iter().enumerate();
            for (target, label) in builds
                .map(|(b, l)| (Target::Build(b), l.as_str()))
                .chain(bare)
            {
                out.extend(row(runs, backend, &name, load, after, target, label));
            }
        }
    }
    out
}

pub const HEADER: &str = "| path | database | server | accepted/s mean (min–max of rounds) | share of the bare server (neighbouring rounds) | p50 ms | p99 ms | 503 | other non-2xx | no answer | CPU cores: server / load generator / rest of the machine |\n|---|---|---|---|---|---|---|---|---|---|---|";

/// A row of the memory table.
pub fn memory_row(backend: &str, label: &str, m: &Memory) -> String {
    let opt = |v: Option<u64>| v.map_or("–".to_owned(), mib);
    format!(
        "| {backend} | {label} | {} | {} | {} | {} |",
        mib(m.before),
        mib(m.peak),
        opt(m.after_5s),
        opt(m.after_30s)
    )
}

pub const MEMORY_HEADER: &str = "| database | server | RSS before load | peak during | 5 s after | 30 s after |\n|---|---|---|---|---|---|";

/// A line on how the clicks were seeded.
pub fn seeding_line(backend: &str, label: &str, connections: usize, s: &Seeding) -> String {
    format!(
        "- {backend}, {label}: {} sessions of a visit and a click on the number, {} beacons \
         accepted at {connections} connections in {:.0} s ({}/s; {} answered 503, each sent \
         again after 20 ms); all written {:.1} s later; the last round after them ended {:.1} \
         min after the first click",
        thousands(s.accepted as f64 / 2.0),
        thousands(s.accepted as f64),
        s.seconds,
        thousands(s.accepted as f64 / s.seconds.max(1e-9)),
        thousands(s.unavailable as f64),
        s.written_after,
        s.span / 60.0,
    )
}

/// What was measured, on what.
pub fn header(o: &Options) -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .map(|m| m.trim_start_matches([' ', '\t', ':']).to_owned())
        })
        .unwrap_or_default();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mut lines = vec![format!(
        "ingestbench: {} round(s) of {} s per path, interleaved; beacons at {} connections, webhooks at {:?} concurrent deliveries; {} HTTP workers per server; {cores} cores ({cpu}); load generator in the same machine.",
        o.rounds, o.seconds, o.connections, o.deliveries, o.workers
    )];
    for (b, build) in o.builds.iter().enumerate() {
        let modified = std::fs::metadata(&build.bin)
            .and_then(|m| m.modified())
            .ok()
            .map(|t| {
                chrono::DateTime::<chrono::Utc>::from(t)
                    .format("%Y-%m-%d %H:%M UTC")
                    .to_string()
            })
            .unwrap_or_default();
        lines.push(format!(
            "- build {b} \"{}\": {} (built {modified})",
            build.label,
            build.bin.display()
        ));
    }
    lines.push(String::new());
    lines.join("\n")
}

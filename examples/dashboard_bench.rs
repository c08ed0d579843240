//! The dashboard benchmark: generates synthetic traffic into a fresh SQLite file and a fresh
//! database on a throwaway PostgreSQL server, starts a real collector on each, and times
//! every dashboard page as the browser loads it (its API requests over HTTP, all at once;
//! median of 5), printing a Markdown table.
//!
//! ```text
//! cargo run --release -p chatrail-examples --example dashboard_bench -- \
//!     --sessions 1000000 --dialogs 100000 --months 18 [--backend sqlite|postgres|both]
//! ```
//!
//! With `--database URL [--site KEY] [--months N]` it serves a database that
//! `chatrail generate` filled today instead (site `bench` by default), generating nothing.

use std::time::Duration;

use chatrail_tests::bench_args::{self, from_args};
use chatrail_tests::dashboard_bench::{run, serve_existing, serve_filled, Served};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let (opts, backends) = from_args(&args);
    let mut columns = Vec::new();
    let mut table: Vec<(String, Vec<Duration>)> = Vec::new();
    let mut servers: Vec<(String, Served)> = Vec::new();
    if let Some(db) = bench_args::existing(&args) {
        servers.push((db.label, serve_existing(&db.url, &db.site).await?));
    } else {
        for backend in backends {
            eprintln!(
                "{backend:?}: generating {} sessions, {} dialogs over {} months…",
                opts.sessions, opts.dialogs, opts.months
            );
            let served = serve_filled(backend, &opts).await?;
            eprintln!(
                "{backend:?}: {} rows in {:.1} s",
                served.stats.rows(),
                served.stats.elapsed.as_secs_f64()
            );
            servers.push((format!("{backend:?}"), served));
        }
    }
    for (name, served) in &servers {
        columns.push(format!("{name} (ms)"));
        for (i, (label, time)) in run(served, &opts, 5).await?.into_iter().enumerate() {
            if table.len() <= i {
                table.push((label, Vec::new()));
            }
            table[i].1.push(time);
        }
    }
    println!(
        "\n{} sessions, {} dialogs, {} months; median of 5 loads, requests of a page in parallel\n",
        opts.sessions, opts.dialogs, opts.months
    );
    println!("| page | {} |", columns.join(" | "));
    println!("|---|{}", "---:|".repeat(columns.len()));
    for (label, times) in table {
        let cells: Vec<String> = times
            .iter()
            .map(|d| format!("{:.1}", d.as_secs_f64() * 1000.0))
            .collect();
        println!("| {label} | {} |", cells.join(" | "));
    }
    Ok(())
}

//! The reports benchmark: generates synthetic traffic into a fresh SQLite file and a fresh
//! database on a throwaway PostgreSQL server, then times every report (best of 3) over the
//! whole history and over the last 30 days, and the dashboard page (its reports requested
//! at once), and prints a Markdown table of milliseconds.
//!
//! ```text
//! cargo run --release -p chatrail-examples --example report_bench -- \
//!     --sessions 1000000 --dialogs 100000 --months 18 [--backend sqlite|postgres|both]
//! ```
//!
//! With `--database URL [--site KEY] [--months N]` it times a database that
//! `chatrail generate` filled today instead (site `bench` by default), generating nothing.

use chatrail_tests::bench::{existing, filled, markdown_table, time_suite, Filled};
use chatrail_tests::bench_args::{self, from_args};
use chrono::{Days, NaiveDate};

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (opts, backends) = from_args(&args);
    let mut columns = Vec::new();
    let mut results = Vec::new();
    let database = bench_args::existing(&args);
    let mut databases: Vec<(String, Filled)> = Vec::new();
    if let Some(db) = &database {
        databases.push((db.label.clone(), existing(&db.url, &db.site, &opts).await));
    } else {
        for backend in backends {
            eprintln!(
                "{backend:?}: generating {} sessions, {} dialogs over {} months…",
                opts.sessions, opts.dialogs, opts.months
            );
            let f = filled(backend, "Europe/Berlin", &opts).await;
            eprintln!(
                "{backend:?}: {} rows in {:.1} s ({:.0} rows/s): {} sessions, {} clicks, {} contacts, {} dialogs",
                f.stats.rows(),
                f.stats.elapsed.as_secs_f64(),
                f.stats.rows_per_s(),
                f.stats.sessions,
                f.stats.clicks,
                f.stats.contacts,
                f.stats.dialogs
            );
            databases.push((format!("{backend:?}"), f));
        }
    }
    for (backend, f) in &databases {
        let to: NaiveDate = f.to.parse().expect("date");
        let month_from = to
            .checked_sub_days(Days::new(30))
            .expect("date")
            .to_string();
        for (label, from) in [("all", f.from.clone()), ("30 d", month_from)] {
            columns.push(format!("{backend} {label}"));
            results.push(time_suite(f, &from, &f.to, 3).await);
        }
    }
    match &database {
        Some(db) => println!("\n{}, {} months\n", db.url, opts.months),
        None => println!(
            "\n{} sessions, {} dialogs, {} months\n",
            opts.sessions, opts.dialogs, opts.months
        ),
    }
    print!("{}", markdown_table(&columns, &results));
}

//! The reports benchmark: generates synthetic traffic into a fresh SQLite file and a fresh
//! database on a throwaway PostgreSQL server, then times every report (best of 3) over the
//! whole history and over the last 30 days, and the dashboard page (its reports requested
//! at once), and prints a Markdown table of milliseconds.
//!
//! ```text
//! cargo run --release -p chatrail-examples --example report_bench -- \
//!     --sessions 1000000 --dialogs 100000 --months 18 [--backend sqlite|postgres|both]
//! ```

use chatrail_collector::generate::GenerateOptions;
use chatrail_tests::app::Backend;
use chatrail_tests::bench::{filled, markdown_table, time_suite};
use chrono::{Days, NaiveDate};

fn arg<T: std::str::FromStr>(args: &[String], name: &str, default: T) -> T {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let opts = GenerateOptions {
        sessions: arg(&args, "--sessions", 100_000),
        dialogs: arg(&args, "--dialogs", 10_000),
        months: arg(&args, "--months", 18),
        ..GenerateOptions::default()
    };
    let backends = match arg(&args, "--backend", "both".to_owned()).as_str() {
        "sqlite" => vec![Backend::Sqlite],
        "postgres" => vec![Backend::Postgres],
        _ => vec![Backend::Sqlite, Backend::Postgres],
    };
    let mut columns = Vec::new();
    let mut results = Vec::new();
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
        let to: NaiveDate = f.to.parse().expect("date");
        let month_from = to
            .checked_sub_days(Days::new(30))
            .expect("date")
            .to_string();
        for (label, from) in [("all", f.from.clone()), ("30 d", month_from)] {
            columns.push(format!("{backend:?} {label}"));
            results.push(time_suite(&f, &from, &f.to, 3).await);
        }
    }
    println!(
        "\n{} sessions, {} dialogs, {} months\n",
        opts.sessions, opts.dialogs, opts.months
    );
    print!("{}", markdown_table(&columns, &results));
}

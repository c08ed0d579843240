//! The money columns' benchmark: generates traffic into a fresh SQLite file and a fresh
//! database on a throwaway PostgreSQL server, gives half the dialogs an outcome and every
//! tagged campaign and ad a cost a day over the whole history, then times the reports with
//! money (best of 3) over the whole history and the last 30 days; prints a Markdown table
//! of milliseconds.
//!
//! ```text
//! cargo run --release -p chatrail-examples --example money_bench -- \
//!     --sessions 1000000 --dialogs 100000 --months 18 [--backend sqlite|postgres|both]
//! ```

use chatrail_tests::bench_args::from_args;
use chatrail_tests::money_bench::{filled_with_money, time_money, MONEY_SUITE};
use chrono::{Days, NaiveDate};

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (opts, backends) = from_args(&args);
    let mut columns = Vec::new();
    let mut results = Vec::new();
    for backend in backends {
        let t = std::time::Instant::now();
        let m = filled_with_money(backend, &opts).await;
        eprintln!(
            "{backend:?}: {} sessions, {} dialogs ({} with an outcome), {} cost rows from {} to {}, in {:.0} s",
            opts.sessions,
            opts.dialogs,
            m.outcomes,
            m.cost_rows,
            m.from,
            m.to,
            t.elapsed().as_secs_f64()
        );
        let to: NaiveDate = m.to.parse().expect("date");
        let month = to
            .checked_sub_days(Days::new(30))
            .expect("date")
            .to_string();
        for (label, from) in [("all", m.from.clone()), ("30 d", month)] {
            columns.push(format!("{backend:?} {label}"));
            results.push(time_money(&m, &from, &m.to, 3).await);
        }
    }
    println!(
        "\n| report | {} |\n|---|{}",
        columns.join(" | "),
        "---:|".repeat(columns.len())
    );
    for (i, (label, _, _)) in MONEY_SUITE.iter().enumerate() {
        let cells: Vec<String> = results
            .iter()
            .map(|r| format!("{:.1}", r[i].as_secs_f64() * 1000.0))
            .collect();
        println!("| {label} | {} |", cells.join(" | "));
    }
}

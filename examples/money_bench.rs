//! The reports' benchmark with money: generates traffic into a fresh SQLite file and a fresh
//! database on a throwaway PostgreSQL server, times every report of the reports benchmark
//! (as `report_bench` does), then gives half the dialogs an outcome and every tagged
//! campaign and ad a cost a day over the whole history, and times the reports with money
//! (best of 3) over the whole history and the last 30 days. Prints two Markdown tables of
//! milliseconds: one generation per database serves both.
//!
//! ```text
//! cargo run --release -p chatrail-examples --example money_bench -- \
//!     --sessions 1000000 --dialogs 100000 --months 18 [--backend sqlite|postgres|both]
//! ```

use std::time::Duration;

use chatrail_tests::bench::{filled, markdown_table, time_suite};
use chatrail_tests::bench_args::from_args;
use chatrail_tests::money_bench::{add_money, time_money, MONEY_SUITE};
use chrono::{Days, NaiveDate};

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (opts, backends) = from_args(&args);
    let mut columns = Vec::new();
    let (mut plain, mut money): (Vec<Vec<Duration>>, Vec<Vec<Duration>>) = Default::default();
    for backend in backends {
        let f = filled(backend, "Europe/Berlin", &opts).await;
        eprintln!(
            "{backend:?}: {} rows generated in {:.0} s",
            f.stats.rows(),
            f.stats.elapsed.as_secs_f64()
        );
        let to: NaiveDate = f.to.parse().expect("date");
        let month = to
            .checked_sub_days(Days::new(30))
            .expect("date")
            .to_string();
        let periods = [("all", f.from.clone()), ("30 d", month)];
        for (label, from) in &periods {
            columns.push(format!("{backend:?} {label}"));
            plain.push(time_suite(&f, from, &f.to, 3).await);
        }
        let t = std::time::Instant::now();
        let m = add_money(&f, &opts).await;
        eprintln!(
            "{backend:?}: {} dialogs given an outcome, {} cost rows, in {:.0} s",
            m.outcomes,
            m.cost_rows,
            t.elapsed().as_secs_f64()
        );
        for (_, from) in &periods {
            money.push(time_money(&f, from, &f.to, 3).await);
        }
    }
    println!("\nReports, before outcomes and costs:\n");
    println!("{}", markdown_table(&columns, &plain));
    println!(
        "\nReports with money:\n\n| report | {} |\n|---|{}",
        columns.join(" | "),
        "---:|".repeat(columns.len())
    );
    for (i, (label, _, _)) in MONEY_SUITE.iter().enumerate() {
        let cells: Vec<String> = money
            .iter()
            .map(|r| format!("{:.1}", r[i].as_secs_f64() * 1000.0))
            .collect();
        println!("| {label} | {} |", cells.join(" | "));
    }
}

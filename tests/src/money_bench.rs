//! The money columns' benchmark (`examples/money_bench.rs`): generated traffic, half its
//! dialogs given an outcome (a fifth won with a value), a day of costs for every tagged
//! source / medium / campaign / ad over the whole history, then the reports with money.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use chatrail_collector::args;
use chatrail_collector::generate::GenerateOptions;
use chatrail_collector::reports::costs::{parse_csv, Mapping};
use chatrail_collector::reports::{self, ReportRequest};
use chatrail_collector::storage::Db;

use crate::bench::Filled;

/// What [`add_money`] added to a generated database.
#[derive(Debug, Clone, Copy)]
pub struct Money {
    /// Dialogs given an outcome.
    pub outcomes: u64,
    /// Cost rows stored.
    pub cost_rows: usize,
}

fn day(ms: i64) -> String {
    chatrail_collector::domain::rfc3339_ms(ms)[..10].to_owned()
}

/// Gives the generated database `f` (generated with `opts`) outcomes and costs: half its
/// dialogs an outcome, every tagged campaign and ad a cost a day over the whole history.
pub async fn add_money(f: &Filled, opts: &GenerateOptions) -> Money {
    let db = Db::connect(&f.url).await.expect("store");
    let (site, store) = (&f.site, &f.store);
    // Half the dialogs: a fifth won (values 50-1049 USD), a fifth leads, a tenth lost (after
    // being a lead).
    let outcomes = db
        .execute(
            "UPDATE dialogs SET stage = CASE WHEN started_at % 10 < 2 THEN 'won' \
             WHEN started_at % 10 < 4 THEN 'lead' ELSE 'lost' END, \
             value_milli = CASE WHEN started_at % 10 < 2 \
             THEN (started_at % 1000) * 1000 + 50000 END, \
             currency = CASE WHEN started_at % 10 < 2 THEN 'USD' END, \
             stage_changed_at = started_at WHERE site_id = $1 AND started_at % 10 < 5",
            args![site.id.0],
        )
        .await
        .expect("outcomes");
    // The lost ones' history, as the funnel reads it: a lead first, then lost.
    let lost: Vec<(uuid::Uuid, i64)> = db
        .fetch_all(
            "SELECT dialog_id, started_at FROM dialogs WHERE site_id = $1 AND stage = 'lost'",
            args![site.id.0],
        )
        .await
        .expect("lost dialogs");
    let mut tx = db.begin().await.expect("transaction");
    for (id, at) in lost {
        for (i, stage) in ["lead", "lost"].into_iter().enumerate() {
            tx.execute(
                "INSERT INTO dialog_outcome_changes (site_id, dialog_id, change_id, changed_at, \
                 stage, source, actor) VALUES ($1, $2, $3, $4, $5, 'api', 'bench')",
                args![site.id.0, id, uuid::Uuid::now_v7(), at + i as i64, stage],
            )
            .await
            .expect("history");
        }
    }
    tx.commit().await.expect("history committed");
    type Tagged = (Option<String>, Option<String>, String, Option<String>);
    let tagged: Vec<Tagged> = db
        .fetch_all(
            "SELECT DISTINCT utm_source, utm_medium, utm_campaign, utm_content FROM sessions \
             WHERE site_id = $1 AND utm_campaign IS NOT NULL",
            args![site.id.0],
        )
        .await
        .expect("campaigns");
    let start = opts.end_ms - i64::from(opts.months) * 31 * 86_400_000;
    let mut csv = String::from("date,source,medium,campaign,ad,cost,currency\n");
    let mut at = start;
    while at <= opts.end_ms {
        for (i, (source, medium, campaign, ad)) in tagged.iter().enumerate() {
            let q = |v: &Option<String>| v.clone().unwrap_or_default().replace(',', " ");
            csv.push_str(&format!(
                "{},{},{},{},{},{}.{:02},USD\n",
                day(at),
                q(source),
                q(medium),
                campaign.replace(',', " "),
                q(ad),
                10 + i % 40,
                at / 86_400_000 % 100
            ));
        }
        at += 86_400_000;
    }
    let rows = parse_csv(csv.as_bytes(), &Mapping::default(), &site.channel_rules).expect("costs");
    store.import_costs(site.id, &rows).await.expect("imported");
    if f.url.starts_with("postgres") {
        // As autovacuum would, so index-only scans need not visit the heap.
        use sqlx::Connection as _;
        let mut conn = sqlx::PgConnection::connect(&f.url).await.expect("connect");
        sqlx::query("VACUUM ANALYZE")
            .execute(&mut conn)
            .await
            .expect("vacuum");
    }
    Money {
        outcomes,
        cost_rows: rows.len(),
    }
}

/// The benchmarked requests: `(label, report, extra query parameters)`.
pub const MONEY_SUITE: &[(&str, &str, &str)] = &[
    ("channels", "channels", ""),
    ("campaigns", "campaigns", ""),
    ("ads", "ads", ""),
    ("keywords", "keywords", ""),
    ("landing-pages", "landing-pages", ""),
    ("pages", "pages", ""),
    ("channels, first touch", "channels", "model=first"),
    ("campaigns, first touch", "campaigns", "model=first"),
    ("campaigns, vs previous", "campaigns", "compare=previous"),
    ("ads, channel", "ads", "channel=Paid Search"),
    ("funnel", "funnel", ""),
];

/// The best of `runs` timings of each [`MONEY_SUITE`] request over `from..=to`.
pub async fn time_money(f: &Filled, from: &str, to: &str, runs: usize) -> Vec<Duration> {
    let mut out = Vec::new();
    for (_, name, extra) in MONEY_SUITE {
        let mut best = Duration::MAX;
        for _ in 0..runs.max(1) {
            let mut params: HashMap<String, String> = extra
                .split('&')
                .filter_map(|kv| kv.split_once('='))
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
            params.insert("from".into(), from.into());
            params.insert("to".into(), to.into());
            params.insert("limit".into(), "1000".into());
            let req = ReportRequest::parse(name, &params).expect("valid request");
            let t = Instant::now();
            let report = reports::run(f.store.as_ref(), f.site.id, req)
                .await
                .expect("report runs");
            best = best.min(t.elapsed());
            // Every report of the suite has money columns; the funnel has its stages.
            let money = if *name == "funnel" {
                "stage"
            } else {
                "revenue"
            };
            assert!(report.table.columns.contains(&money), "{name}");
        }
        out.push(best);
    }
    out
}

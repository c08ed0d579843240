//! The reports benchmark, shared by `examples/report_bench.rs` (full size, prints a table)
//! and the `reports` test (small size, checks that the reports agree with each other).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use chatrail_collector::domain::site::Site;
use chatrail_collector::generate::{generate, GenerateOptions, GenerateStats};
use chatrail_collector::reports::{self, Report, ReportRequest};
use std::sync::Arc;

use chatrail_collector::storage::{self, Db, SharedStore};
use chrono::Days;

use crate::app::{create_site, fresh_database, Backend};

/// A database filled by the generator.
pub struct Filled {
    /// The store.
    pub store: SharedStore,
    /// The generated site.
    pub site: Site,
    /// What the generator wrote.
    pub stats: GenerateStats,
    /// Local dates covering all generated data.
    pub from: String,
    /// Last local date.
    pub to: String,
    /// The database's URL.
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

impl std::fmt::Debug for Filled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Filled")
            .field("stats", &self.stats)
            .finish()
    }
}

/// Creates a fresh database on `backend`, a site in `timezone`, and fills it.
pub async fn filled(backend: Backend, timezone: &str, opts: &GenerateOptions) -> Filled {
    let (url, dir) = fresh_database(backend).await;
    let db = Db::connect(&url).await.expect("store");
    let store: SharedStore = Arc::new(db.clone());
    let site = create_site(&store, "bench", &["+7 900 123-45-67"]).await;
    store
        .set_site_timezone(site.id, timezone)
        .await
        .expect("time zone");
    let stats = generate(&db, &site, opts, |_| {}).await.expect("generated");
    if backend == Backend::Postgres {
        // As autovacuum would, so index-only scans need not visit the heap.
        use sqlx::Connection as _;
        let mut conn = sqlx::PgConnection::connect(&url).await.expect("connect");
        sqlx::query("VACUUM ANALYZE")
            .execute(&mut conn)
            .await
            .expect("vacuum");
    }
    let (from, to) = dates(timezone, opts);
    Filled {
        store,
        site,
        stats,
        from,
        to,
        url,
        _dir: dir,
    }
}

/// An existing database that `chatrail generate --site <site_key>` filled with `opts` (its
/// `end_ms` is when it ran); migrations are applied on opening, as the collector would.
pub async fn existing(url: &str, site_key: &str, opts: &GenerateOptions) -> Filled {
    let store = storage::connect(url).await.expect("store");
    let site = store
        .site_by_key(site_key)
        .await
        .expect("site lookup")
        .unwrap_or_else(|| panic!("no site {site_key} in {url}"))
        .as_ref()
        .clone();
    let timezone = store
        .site_timezone(site.id)
        .await
        .expect("time zone")
        .unwrap_or_else(|| "UTC".to_owned());
    let (from, to) = dates(&timezone, opts);
    Filled {
        store,
        site,
        stats: GenerateStats::default(),
        from,
        to,
        url: url.to_owned(),
        _dir: None,
    }
}

/// Local dates covering everything `opts` generates in `timezone`.
fn dates(timezone: &str, opts: &GenerateOptions) -> (String, String) {
    let tz: chrono_tz::Tz = timezone.parse().expect("time zone");
    // A day past the end: dialogs follow their clicks by a few minutes.
    let end = chatrail_collector::reports::time::local(tz, opts.end_ms)
        .date()
        .checked_add_days(Days::new(1))
        .expect("date");
    let start = end
        .checked_sub_days(Days::new(u64::from(opts.months) * 31 + 1))
        .expect("date");
    (start.to_string(), end.to_string())
}

/// The benchmarked requests: `(label, report, extra query parameters)`. The first
/// [`PAGE`] make up the dashboard page; the rest are filtered variants.
pub const SUITE: &[(&str, &str, &str)] = &[
    ("new-repeat", "new-repeat", ""),
    ("pages", "pages", ""),
    ("landing-pages", "landing-pages", ""),
    ("channels", "channels", ""),
    ("campaigns", "campaigns", ""),
    ("ads", "ads", ""),
    ("keywords", "keywords", ""),
    (
        "dynamics (week, vs previous)",
        "dynamics",
        "granularity=week&compare=previous",
    ),
    (
        "dynamics (day, vs year)",
        "dynamics",
        "granularity=day&compare=year",
    ),
    ("hours", "hours", ""),
    ("match-quality", "match-quality", ""),
    (
        "channels, match + campaign",
        "channels",
        "match=exact&campaign=spring-sale",
    ),
    ("campaigns, channel", "campaigns", "channel=Paid Search"),
    ("new-repeat, tag", "new-repeat", "tag=hot lead"),
    ("pages, number", "pages", "number=79001234567"),
    (
        "dynamics (week), tag",
        "dynamics",
        "granularity=week&tag=price",
    ),
    // Filters on keys no rollup grouping of the report holds: the fact tables.
    ("ads, channel", "ads", "channel=Paid Search"),
    (
        "landing-pages, campaign",
        "landing-pages",
        "campaign=spring-sale",
    ),
    ("channels, number", "channels", "number=79001234567"),
    // The period's summary, and comparisons (each a second read of the earlier period).
    ("summary", "summary", ""),
    ("summary, vs previous", "summary", "compare=previous"),
    ("campaigns, vs previous", "campaigns", "compare=previous"),
    // Breakdowns, alone and filtered by a channel (their groupings hold it).
    ("regions", "regions", ""),
    ("devices", "devices", ""),
    ("browsers, channel", "browsers", "channel=Paid Search"),
];

/// How many of the [`SUITE`] requests the dashboard page shows (all unfiltered reports).
pub const PAGE: usize = 11;

/// Runs one report for `from..=to` with extra `k=v&…` parameters.
pub async fn report(filled: &Filled, name: &str, from: &str, to: &str, extra: &str) -> Report {
    let mut params: HashMap<String, String> = form_urlencoded(extra);
    params.insert("from".into(), from.into());
    params.insert("to".into(), to.into());
    params.insert("limit".into(), "1000".into());
    let req = ReportRequest::parse(name, &params).expect("valid request");
    reports::run(filled.store.as_ref(), filled.site.id, req)
        .await
        .expect("report runs")
}

fn form_urlencoded(s: &str) -> HashMap<String, String> {
    s.split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// The best of `runs` timings of one report.
pub async fn time_report(
    filled: &Filled,
    name: &str,
    from: &str,
    to: &str,
    extra: &str,
    runs: usize,
) -> Duration {
    let mut best = Duration::MAX;
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        report(filled, name, from, to, extra).await;
        best = best.min(t.elapsed());
    }
    best
}

/// The best of `runs` timings of the dashboard page: its [`PAGE`] reports requested at once,
/// as a browser would.
pub async fn time_page(filled: &Filled, from: &str, to: &str, runs: usize) -> Duration {
    let mut best = Duration::MAX;
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        futures_util::future::join_all(
            SUITE[..PAGE]
                .iter()
                .map(|(_, name, extra)| report(filled, name, from, to, extra)),
        )
        .await;
        best = best.min(t.elapsed());
    }
    best
}

/// One column of the benchmark table: every [`SUITE`] request, then the page at once.
pub async fn time_suite(filled: &Filled, from: &str, to: &str, runs: usize) -> Vec<Duration> {
    let mut out = Vec::with_capacity(SUITE.len() + 1);
    for (_, name, extra) in SUITE {
        out.push(time_report(filled, name, from, to, extra, runs).await);
    }
    out.push(time_page(filled, from, to, runs).await);
    out
}

/// The benchmark as a Markdown table: a row per [`SUITE`] request, then the dashboard page
/// as the sum of its reports and as its reports requested at once. `columns[i]` names the
/// timings `results[i]` from [`time_suite`].
pub fn markdown_table(columns: &[String], results: &[Vec<Duration>]) -> String {
    let ms = |d: Duration| format!("{:.1}", d.as_secs_f64() * 1000.0);
    let mut out = format!(
        "| report | {} |\n|---|{}\n",
        columns.join(" | "),
        "---:|".repeat(columns.len())
    );
    let mut row = |label: &str, cell: &dyn Fn(&Vec<Duration>) -> Duration| {
        let cells: Vec<String> = results.iter().map(|r| ms(cell(r))).collect();
        out.push_str(&format!("| {label} | {} |\n", cells.join(" | ")));
    };
    for (i, (label, _, _)) in SUITE.iter().enumerate() {
        row(label, &|r| r[i]);
    }
    row("**page: sum of its reports**", &|r| r[..PAGE].iter().sum());
    row("**page: its reports at once**", &|r| r[SUITE.len()]);
    out
}

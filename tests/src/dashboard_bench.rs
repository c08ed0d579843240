//! The dashboard benchmark: a real collector over a generated database, and each page of the
//! dashboard timed as the browser loads it — the same API requests over HTTP, the reports
//! page's ten in parallel. Shared by `examples/dashboard_bench.rs` (full size, prints a
//! table) and the `api` test suite (small size, in CI).

use std::time::{Duration, Instant};

use chatrail_collector::config::Settings;
use chatrail_collector::domain::site::Site;
use chatrail_collector::domain::token::Role;
use chatrail_collector::generate::{generate, GenerateOptions, GenerateStats};
use chatrail_collector::reports::ReportName;
use chatrail_collector::startup::Application;
use chatrail_collector::storage::{Db, SharedStore};
use serde_json::Value;

use crate::app::{create_site, create_token, fresh_database, Backend};

/// A collector serving a generated database.
pub struct Served {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// The store.
    pub store: SharedStore,
    /// The generated site.
    pub site: Site,
    /// Tokens of each role.
    pub operator: String,
    /// Analyst token.
    pub analyst: String,
    /// Admin token.
    pub admin: String,
    /// What the generator wrote.
    pub stats: GenerateStats,
    http: reqwest::Client,
    _dir: Option<tempfile::TempDir>,
}

impl std::fmt::Debug for Served {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Served").field("base", &self.base).finish()
    }
}

/// Generates `opts` into a fresh database on `backend` (site time zone Europe/Berlin) and
/// starts a collector on it.
pub async fn serve_filled(backend: Backend, opts: &GenerateOptions) -> anyhow::Result<Served> {
    let (url, dir) = fresh_database(backend).await;
    let (base, store, db) = serve(&url).await?;
    let site = create_site(&store, "bench", &["+7 900 123-45-67"]).await;
    store.set_site_timezone(site.id, "Europe/Berlin").await?;
    let stats = generate(&db, &site, opts, |_| {}).await?;
    db.analyze().await?;
    served(base, store, site, stats, dir).await
}

/// Starts a collector on an existing database that `chatrail generate --site <site_key>`
/// filled (in Europe/Berlin, ending today); migrations are applied on start.
pub async fn serve_existing(url: &str, site_key: &str) -> anyhow::Result<Served> {
    let (base, store, _) = serve(url).await?;
    let site = store
        .site_by_key(site_key)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no site {site_key} in {url}"))?;
    served(
        base,
        store,
        site.as_ref().clone(),
        GenerateStats::default(),
        None,
    )
    .await
}

async fn serve(url: &str) -> anyhow::Result<(String, SharedStore, Db)> {
    let app = Application::build(Settings::for_database(url.to_owned())).await?;
    let base = format!("http://127.0.0.1:{}", app.port());
    let (store, db) = (app.store(), app.db().clone());
    tokio::spawn(app.run_until_stopped());
    Ok((base, store, db))
}

async fn served(
    base: String,
    store: SharedStore,
    site: Site,
    stats: GenerateStats,
    dir: Option<tempfile::TempDir>,
) -> anyhow::Result<Served> {
    Ok(Served {
        base,
        operator: create_token(&store, &site, Role::Operator).await,
        analyst: create_token(&store, &site, Role::Analyst).await,
        admin: create_token(&store, &site, Role::Admin).await,
        store,
        site,
        stats,
        http: reqwest::Client::new(),
        _dir: dir,
    })
}

/// Which token a page is loaded with.
#[derive(Debug, Clone, Copy)]
pub enum As {
    /// Dialogs and cards.
    Operator,
    /// Reports.
    Analyst,
    /// Settings.
    Admin,
}

/// One page of the dashboard: the API requests it makes, all at once.
#[derive(Debug, Clone)]
pub struct Page {
    /// What the table calls it.
    pub label: String,
    /// Whose page it is.
    pub who: As,
    /// `/api/v1` paths.
    pub requests: Vec<String>,
}

/// The reports page's requests for `from..=to` (as `reports.js` makes them).
fn reports_page(label: &str, from: &str, to: &str, dynamics: &str) -> Page {
    let range = format!("from={from}&to={to}");
    // Every report once, dynamics with the page's granularity and comparison.
    let requests = ReportName::ALL
        .iter()
        .map(|r| match r {
            ReportName::Dynamics => format!("/reports/dynamics?{range}&{dynamics}"),
            r => format!("/reports/{}?{range}", r.as_str()),
        })
        .collect();
    Page {
        label: label.to_owned(),
        who: As::Analyst,
        requests,
    }
}

/// Every page, with `today` the last local day of the data and `dialog` a card to open.
pub fn pages(
    first_day: &str,
    today: &str,
    month_ago: &str,
    year_ago: &str,
    dialog: &str,
) -> Vec<Page> {
    let dialogs = |label: &str, query: &str| Page {
        label: label.to_owned(),
        who: As::Operator,
        requests: vec!["/me".into(), format!("/dialogs?limit=50{query}")],
    };
    vec![
        dialogs("dialogs: newest 50", ""),
        dialogs("dialogs: channel filter", "&channel=Paid%20Search"),
        dialogs("dialogs: probable matches", "&match=probable"),
        dialogs("dialogs: search by phone digits", "&q=12345"),
        dialogs("dialogs: search by name", "&q=ana"),
        Page {
            label: "source card".into(),
            who: As::Operator,
            requests: vec!["/me".into(), format!("/dialogs/{dialog}")],
        },
        reports_page(
            "reports: last 30 days by day vs previous",
            month_ago,
            today,
            "granularity=day&compare=previous",
        ),
        reports_page(
            "reports: last 365 days by week vs a year earlier",
            year_ago,
            today,
            "granularity=week&compare=year",
        ),
        reports_page(
            "reports: whole history by month",
            first_day,
            today,
            "granularity=month&compare=none",
        ),
        Page {
            label: "settings".into(),
            who: As::Admin,
            requests: vec!["/me".into(), "/site".into(), "/tokens".into()],
        },
    ]
}

impl Served {
    fn token(&self, who: As) -> &str {
        match who {
            As::Operator => &self.operator,
            As::Analyst => &self.analyst,
            As::Admin => &self.admin,
        }
    }

    /// GETs `/api/v1{path}`, failing on anything but 200; returns the JSON.
    pub async fn get(&self, who: As, path: &str) -> anyhow::Result<Value> {
        let res = self
            .http
            .get(format!("{}/api/v1{path}", self.base))
            .bearer_auth(self.token(who))
            .send()
            .await?;
        anyhow::ensure!(res.status() == 200, "{path}: {}", res.status());
        Ok(res.json().await?)
    }

    /// Loads `page` `runs` times (all its requests at once) and returns the median time.
    pub async fn time_page(&self, page: &Page, runs: usize) -> anyhow::Result<Duration> {
        let mut times = Vec::with_capacity(runs);
        for _ in 0..runs {
            let started = Instant::now();
            let answers = futures_util::future::try_join_all(
                page.requests.iter().map(|p| self.get(page.who, p)),
            )
            .await?;
            times.push(started.elapsed());
            anyhow::ensure!(answers.iter().all(|a| !a.is_null()), "{}", page.label);
        }
        times.sort();
        Ok(times[times.len() / 2])
    }
}

/// Runs the whole benchmark on `served`: every page, median of `runs`; `(label, time)` rows.
pub async fn run(
    served: &Served,
    opts: &GenerateOptions,
    runs: usize,
) -> anyhow::Result<Vec<(String, Duration)>> {
    use chrono::Days;
    let tz: chrono_tz::Tz = "Europe/Berlin".parse().expect("zone");
    let today = chatrail_collector::reports::time::local(tz, opts.end_ms).date();
    let back = |days: u64| {
        today
            .checked_sub_days(Days::new(days))
            .expect("date")
            .to_string()
    };
    let repeat = served
        .get(As::Operator, "/dialogs?limit=1&kind=repeat")
        .await?;
    let dialog = repeat["dialogs"][0]["dialog_id"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("no repeat dialog"))?
        .to_owned();
    let pages = pages(
        &back(u64::from(opts.months) * 31),
        &today.to_string(),
        &back(29),
        &back(364),
        &dialog,
    );
    let mut rows = Vec::new();
    for page in &pages {
        rows.push((page.label.clone(), served.time_page(page, runs).await?));
    }
    Ok(rows)
}

//! The SQL behind the reports' money columns ([`money`](super::money)): outcome groups of
//! dialogs, spend from `ad_costs`, and what a site keeps of money.

use super::query::{dialog_conditions, Key, ReportFilters};
use crate::args;
use crate::db::{Arg, Db, StoreError};
use crate::domain::outcome::{Stage, StageKind, Stages};
use crate::domain::site::SiteId;

/// One group of dialogs of one stage and currency.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OutcomeRow {
    /// First key.
    pub k1: Option<String>,
    /// Second key.
    pub k2: Option<String>,
    /// The stage (NULL: the first).
    pub stage: Option<String>,
    /// The currency of won values.
    pub currency: Option<String>,
    /// Dialogs.
    pub n: i64,
    /// Sum of their values, thousandths.
    pub v: i64,
}

fn column(key: Key) -> &'static str {
    match key {
        Key::Channel => "channel",
        Key::Campaign => "utm_campaign",
        Key::Content => "utm_content",
        Key::Term => "utm_term",
        Key::LandingPage => "landing_key",
        _ => "page_key",
    }
}

fn cost_column(key: Key) -> &'static str {
    match key {
        Key::Channel => "channel",
        Key::Campaign => "NULLIF(campaign, '')",
        _ => "NULLIF(ad, '')",
    }
}

/// The key expressions of dialogs `d` keyed by `keys`: the dialog's own keys (last touch),
/// or the copies of its visitor's first session's (first touch, `first_<key>`; a dialog
/// without a session carries its own there; the page of contact is always the dialog's).
/// Both read an index alone: `dialogs_money`, `dialogs_first_touch`.
fn keyed(keys: &[Key], first_touch: bool) -> [String; 2] {
    let key = |i: usize| match keys.get(i) {
        None => "CAST(NULL AS TEXT)".to_owned(),
        Some(k @ Key::ClickPage) => format!("d.{}", column(*k)),
        Some(k) if first_touch => format!("d.first_{}", column(*k)),
        Some(k) => format!("d.{}", column(*k)),
    };
    [key(0), key(1)]
}

/// The outcome groups of dialogs started in `[from_ms, to_ms)` matching `filters`, by
/// `keys`: last touch, dialogs with an outcome; first touch, every dialog (their count is
/// the row's dialogs under that model).
pub async fn outcomes(
    db: &Db,
    site_id: SiteId,
    keys: &[Key],
    first_touch: bool,
    (from_ms, to_ms): (i64, i64),
    filters: &ReportFilters,
) -> Result<Vec<OutcomeRow>, StoreError> {
    let [k1, k2] = keyed(keys, first_touch);
    let only = if first_touch {
        ""
    } else {
        " AND d.stage IS NOT NULL"
    };
    let (conditions, binds) = dialog_conditions(filters, 4);
    let sql = format!(
        "SELECT {k1} AS k1, {k2} AS k2, d.stage AS stage, d.currency AS currency, \
         COUNT(*) AS n, CAST(COALESCE(SUM(d.value_milli), 0) AS BIGINT) AS v FROM dialogs d \
         WHERE d.site_id = $1 AND d.started_at >= $2 AND d.started_at < $3{only}{conditions} \
         GROUP BY 1, 2, 3, 4"
    );
    let mut a = args![site_id.0, from_ms, to_ms];
    a.extend(binds.iter().map(Arg::from));
    Ok(db.fetch_all(&sql, a).await?)
}

/// One stage a lost dialog went through.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LostStep {
    /// The dialog's first key.
    pub k1: Option<String>,
    /// The dialog.
    pub dialog_id: uuid::Uuid,
    /// A stage its history holds.
    pub stage: String,
}

/// The open stages past the first that the dialogs started in `[from_ms, to_ms)` matching
/// `filters` and now in a lost stage went through, from their outcome history, by the first
/// of `keys` (keyed as [`outcomes`] keys them).
pub async fn lost_steps(
    db: &Db,
    site_id: SiteId,
    keys: &[Key],
    first_touch: bool,
    (from_ms, to_ms): (i64, i64),
    filters: &ReportFilters,
    stages: &Stages,
) -> Result<Vec<LostStep>, StoreError> {
    let names = |kind: StageKind, skip: usize| -> Vec<&str> {
        stages.all()[skip..]
            .iter()
            .filter(|s| s.kind == kind)
            .map(|s| s.name.as_str())
            .collect()
    };
    let (lost, open) = (names(StageKind::Lost, 0), names(StageKind::Open, 1));
    if lost.is_empty() || open.is_empty() {
        return Ok(Vec::new());
    }
    let [k1, _] = keyed(keys, first_touch);
    let (conditions, binds) = dialog_conditions(filters, 4);
    let mut a = args![site_id.0, from_ms, to_ms];
    a.extend(binds.iter().map(Arg::from));
    let mut list = |names: &[&str]| {
        let first = a.len() + 1;
        a.extend(names.iter().map(|n| Arg::from(n.to_string())));
        let p: Vec<String> = (first..first + names.len())
            .map(|i| format!("${i}"))
            .collect();
        p.join(", ")
    };
    let (lost, open) = (list(&lost), list(&open));
    let sql = format!(
        "SELECT DISTINCT {k1} AS k1, d.dialog_id AS dialog_id, c.stage AS stage FROM dialogs d \
         JOIN dialog_outcome_changes c ON c.site_id = d.site_id AND c.dialog_id = d.dialog_id \
         WHERE d.site_id = $1 AND d.started_at >= $2 AND d.started_at < $3{conditions} \
         AND d.stage IN ({lost}) AND c.stage IN ({open})"
    );
    Ok(db.fetch_all(&sql, a).await?)
}

/// Spend in `currency` over UTC days `from..=to` by `keys`, within the channel and campaign
/// filters.
pub async fn spend(
    db: &Db,
    site_id: SiteId,
    keys: &[Key],
    (from, to): (i64, i64),
    currency: &str,
    filters: &ReportFilters,
) -> Result<Vec<(Option<String>, Option<String>, i64)>, StoreError> {
    let key = |i: usize| {
        keys.get(i)
            .map_or("CAST(NULL AS TEXT)", |k| cost_column(*k))
    };
    let mut a = args![site_id.0, from, to, currency];
    let mut extra = String::new();
    for (col, value) in [
        ("channel", &filters.channel),
        ("campaign", &filters.campaign),
    ] {
        if let Some(v) = value {
            a.push(Arg::from(v));
            extra.push_str(&format!(" AND {col} = ${}", a.len()));
        }
    }
    let sql = format!(
        "SELECT {} AS k1, {} AS k2, CAST(SUM(cost_milli) AS BIGINT) AS n FROM ad_costs \
         WHERE site_id = $1 AND day >= $2 AND day <= $3 AND currency = $4{extra} GROUP BY 1, 2",
        key(0),
        key(1)
    );
    Ok(db.fetch_all(&sql, a).await?)
}

/// What a site keeps of money: its stages, the currency its reports use by default (the
/// most frequent of its won dialogs', else its latest cost's), and whether any dialog has
/// an outcome and whether any cost is stored.
#[derive(Debug, Clone)]
pub struct SiteMoney {
    /// The stages.
    pub stages: Stages,
    /// The default currency.
    pub currency: Option<String>,
    /// Some dialog has an outcome.
    pub outcomes: bool,
    /// Some cost is stored.
    pub costs: bool,
}

/// The site's [`SiteMoney`].
pub async fn site_money(db: &Db, site_id: SiteId) -> Result<SiteMoney, StoreError> {
    let rows: Vec<(String, String)> = db
        .fetch_all(
            "SELECT name, kind FROM outcome_stages WHERE site_id = $1 ORDER BY position",
            args![site_id.0],
        )
        .await?;
    let stages: Option<Vec<Stage>> = rows
        .into_iter()
        .map(|(name, kind)| {
            Some(Stage {
                name,
                kind: StageKind::parse(&kind).ok()?,
            })
        })
        .collect();
    let stages = stages
        .and_then(|s| Stages::new(s).ok())
        .unwrap_or_else(Stages::default_set);
    let any = |sql: &'static str| async move {
        let row: Option<(i64,)> = db.fetch_optional(sql, args![site_id.0]).await?;
        Ok::<_, StoreError>(row.is_some())
    };
    let outcomes = any(
        "SELECT CAST(1 AS BIGINT) FROM dialogs WHERE site_id = $1 AND stage IS NOT NULL \
         AND started_at > -1 LIMIT 1",
    )
    .await?;
    let costs = any("SELECT CAST(1 AS BIGINT) FROM ad_costs WHERE site_id = $1 LIMIT 1").await?;
    let won: Option<(String,)> = db
        .fetch_optional(
            "SELECT currency FROM dialogs WHERE site_id = $1 AND stage IS NOT NULL \
             AND currency IS NOT NULL GROUP BY currency ORDER BY COUNT(*) DESC, currency LIMIT 1",
            args![site_id.0],
        )
        .await?;
    let currency = match won {
        Some((c,)) => Some(c),
        None => db
            .fetch_optional::<(String,)>(
                "SELECT currency FROM ad_costs WHERE site_id = $1 ORDER BY day DESC LIMIT 1",
                args![site_id.0],
            )
            .await?
            .map(|(c,)| c),
    };
    Ok(SiteMoney {
        stages,
        currency,
        outcomes,
        costs,
    })
}

//! Storing imported costs: a file's days and sources replace what was stored for them, in
//! one transaction.

use std::collections::BTreeSet;

use serde::Serialize;

use super::CostRow;
use crate::args;
use crate::db::{Db, StoreError};
use crate::domain::now_ms;
use crate::domain::outcome::format_amount;
use crate::domain::site::SiteId;

/// What an import stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CostImport {
    /// Rows stored (after summing a file's rows per day, source, medium, campaign, ad and
    /// currency).
    pub rows: usize,
    /// Days the file covers.
    pub days: usize,
    /// Rows of those days and sources that were there before and were replaced.
    pub replaced: u64,
    /// First and last day (`YYYY-MM-DD`).
    pub from: String,
    /// Last day.
    pub to: String,
    /// The file's spend per currency, e.g. `{"USD": "1234.50"}`.
    pub totals: std::collections::BTreeMap<String, String>,
}

fn date(day: i64) -> String {
    crate::domain::rfc3339_ms(day * 86_400_000)[..10].to_owned()
}

/// Stores `rows` for the site, replacing every stored row of the days and sources they hold.
pub async fn import(db: &Db, site_id: SiteId, rows: &[CostRow]) -> Result<CostImport, StoreError> {
    let site = site_id.0;
    let at = now_ms();
    let mut tx = db.begin().await?;
    let replaced_keys: BTreeSet<(i64, &str)> =
        rows.iter().map(|r| (r.day, r.source.as_str())).collect();
    let mut replaced = 0;
    for (day, source) in &replaced_keys {
        replaced += tx
            .execute(
                "DELETE FROM ad_costs WHERE site_id = $1 AND day = $2 AND source = $3",
                args![site, *day, *source],
            )
            .await?;
    }
    let values = rows.iter().map(|r| {
        args![
            site,
            r.day,
            r.source.as_str(),
            r.medium.as_str(),
            r.campaign.as_str(),
            r.ad.as_str(),
            r.currency.as_str(),
            r.channel.as_str(),
            r.cost_milli,
            at
        ]
    });
    tx.insert_rows(
        "INSERT INTO ad_costs (site_id, day, source, medium, campaign, ad, currency, channel, \
         cost_milli, imported_at)",
        "",
        values,
    )
    .await?;
    tx.commit().await?;
    let days: BTreeSet<i64> = rows.iter().map(|r| r.day).collect();
    let mut totals = std::collections::BTreeMap::<String, i64>::new();
    for r in rows {
        *totals.entry(r.currency.clone()).or_default() += r.cost_milli;
    }
    Ok(CostImport {
        rows: rows.len(),
        days: days.len(),
        replaced,
        from: days.first().map(|d| date(*d)).unwrap_or_default(),
        to: days.last().map(|d| date(*d)).unwrap_or_default(),
        totals: totals
            .into_iter()
            .map(|(c, m)| (c, format_amount(m)))
            .collect(),
    })
}

/// Stored spend of one source, medium, campaign and channel in one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct CostTotal {
    /// `utm_source`, empty if the file gave none.
    pub source: String,
    /// `utm_medium`.
    pub medium: String,
    /// `utm_campaign`.
    pub campaign: String,
    /// The channel sessions tagged so get.
    pub channel: String,
    /// ISO 4217.
    pub currency: String,
    /// The spend, a decimal string.
    #[sqlx(skip)]
    pub cost: String,
    /// Thousandths of the unit.
    #[serde(skip)]
    pub cost_milli: i64,
}

/// The site's spend from day `from` to day `to` (inclusive), per source, medium, campaign,
/// channel and currency, largest first.
pub async fn totals(
    db: &Db,
    site_id: SiteId,
    from: i64,
    to: i64,
) -> Result<Vec<CostTotal>, StoreError> {
    let mut rows: Vec<CostTotal> = db
        .fetch_all(
            "SELECT source, medium, campaign, channel, currency, \
             CAST(SUM(cost_milli) AS BIGINT) AS cost_milli FROM ad_costs \
             WHERE site_id = $1 AND day >= $2 AND day <= $3 \
             GROUP BY source, medium, campaign, channel, currency \
             ORDER BY 6 DESC, 1, 2, 3, 5",
            args![site_id.0, from, to],
        )
        .await?;
    for r in &mut rows {
        r.cost = format_amount(r.cost_milli);
    }
    Ok(rows)
}

//! The database side of reports: counts (from the rollups where they can answer), the
//! site's time zone, and checking or rebuilding the rollups.

use async_trait::async_trait;

use super::costs::store::{CostImport, CostTotal};
use super::costs::CostRow;
use super::money_sql::{self as money, LostStep, OutcomeRow, SiteMoney};
use super::query::Key;
use super::query::{CountQuery, CountRow, Fact, ReportFilters};
use super::rollups::messages::MessageDelta;
use super::rollups::{self, copy_attribution_sql, drift, Part, RollupDelta, DIMS};
use crate::args;
use crate::db::{Arg, Conn, Db, StoreError};
use crate::domain::outcome::Stages;
use crate::domain::site::SiteId;

/// What reports read.
#[async_trait]
pub trait Reports: Send + Sync {
    /// The site's IANA time zone (`UTC` unless set).
    async fn site_timezone(&self, site_id: SiteId) -> Result<Option<String>, StoreError>;
    /// Sets the site's time zone (validated by the caller).
    async fn set_site_timezone(&self, site_id: SiteId, timezone: &str) -> Result<(), StoreError>;
    /// Runs one grouped count, from the rollups where it can (see [`CountQuery::plan`]).
    async fn count(&self, query: &CountQuery<'_>) -> Result<Vec<CountRow>, StoreError>;
    /// Runs one grouped count on the fact tables only.
    async fn count_raw(&self, query: &CountQuery<'_>) -> Result<Vec<CountRow>, StoreError>;
    /// Differences between the site's stored rollups and a recomputation from the fact
    /// tables, and clicks or dialogs whose copied attribution differs from their session's,
    /// one line each; empty when they agree.
    async fn rollup_drift(&self, site_id: SiteId) -> Result<Vec<String>, StoreError>;
    /// Recomputes the site's rollups and the clicks' and dialogs' copied attribution from the
    /// fact tables, in one transaction; the number of rollup rows written. A repair: every
    /// write keeps them in step, and [`Reports::rollup_drift`] tells whether one is needed.
    async fn rebuild_rollups(&self, site_id: SiteId) -> Result<usize, StoreError>;
    /// The `summary` report's figures for `[from_ms, to_ms)` (see [`Summary`]).
    async fn summary(
        &self,
        site_id: SiteId,
        from_ms: i64,
        to_ms: i64,
        filters: &ReportFilters,
    ) -> Result<Summary, StoreError>;
    /// Stores imported ad costs, replacing the stored days and sources they hold.
    async fn import_costs(
        &self,
        site_id: SiteId,
        rows: &[CostRow],
    ) -> Result<CostImport, StoreError>;
    /// The site's stages and its reports' default currency (see [`money`](super::money)).
    async fn site_money(&self, site_id: SiteId) -> Result<SiteMoney, StoreError>;
    /// Outcome groups of dialogs by `keys` (see [`money_sql::outcomes`](super::money_sql::outcomes)).
    async fn outcomes(
        &self,
        site_id: SiteId,
        keys: &[Key],
        first_touch: bool,
        bounds: (i64, i64),
        filters: &ReportFilters,
    ) -> Result<Vec<OutcomeRow>, StoreError>;
    /// The stages lost dialogs went through (see
    /// [`money_sql::lost_steps`](super::money_sql::lost_steps)).
    async fn lost_steps(
        &self,
        site_id: SiteId,
        keys: &[Key],
        first_touch: bool,
        bounds: (i64, i64),
        filters: &ReportFilters,
        stages: &Stages,
    ) -> Result<Vec<LostStep>, StoreError>;
    /// Spend by `keys` over UTC days (see [`money_sql::spend`](super::money_sql::spend)).
    async fn spend(
        &self,
        site_id: SiteId,
        keys: &[Key],
        days: (i64, i64),
        currency: &str,
        filters: &ReportFilters,
    ) -> Result<Vec<(Option<String>, Option<String>, i64)>, StoreError>;
    /// The site's stored ad spend over UTC days `from..=to`.
    async fn cost_totals(
        &self,
        site_id: SiteId,
        from: i64,
        to: i64,
    ) -> Result<Vec<CostTotal>, StoreError>;
}

pub use super::summary_sql::Summary;

#[async_trait]
impl Reports for Db {
    async fn site_timezone(&self, site_id: SiteId) -> Result<Option<String>, StoreError> {
        let row: Option<(String,)> = self
            .fetch_optional(
                "SELECT timezone FROM sites WHERE site_id = $1",
                args![site_id.0],
            )
            .await?;
        Ok(row.map(|r| r.0))
    }

    async fn set_site_timezone(&self, site_id: SiteId, timezone: &str) -> Result<(), StoreError> {
        self.execute(
            "UPDATE sites SET timezone = $2 WHERE site_id = $1",
            args![site_id.0, timezone],
        )
        .await?;
        Ok(())
    }

    async fn count(&self, q: &CountQuery<'_>) -> Result<Vec<CountRow>, StoreError> {
        let parts = q.plan();
        let mut conn = self.read().await?;
        if let [Part::Raw(raw)] = &parts[..] {
            return Ok(count_rows(&mut conn, raw).await?);
        }
        let mut rows = Vec::new();
        for part in &parts {
            match part {
                Part::Raw(raw) => rows.extend(count_rows(&mut conn, raw).await?),
                Part::Rollup(r) => {
                    let mut args = args![q.site_id.0, r.from_slot, r.to_slot];
                    args.extend(r.equal.iter().map(|(_, value)| Arg::from(value)));
                    rows.extend(conn.fetch_all::<CountRow>(&r.to_sql(), args).await?);
                }
            }
        }
        Ok(rollups::merge(rows))
    }

    async fn count_raw(&self, q: &CountQuery<'_>) -> Result<Vec<CountRow>, StoreError> {
        Ok(count_rows(&mut self.read().await?, q).await?)
    }

    async fn rollup_drift(&self, site_id: SiteId) -> Result<Vec<String>, StoreError> {
        let site = site_id.0;
        let mut conn = self.read().await?;
        type Row = (String, i64, String, String, String, i64, i64, i64, i64);
        let rows: Vec<Row> = conn
            .fetch_all(
                &format!(
                    "SELECT dim, slot, k1, k2, k3, {} FROM report_rollups WHERE site_id = $1",
                    rollups::COUNTERS.join(", ")
                ),
                args![site],
            )
            .await?;
        let mut stored = RollupDelta::default();
        for (dim, slot, k1, k2, k3, v, c, d, chats) in rows {
            stored
                .0
                .insert((site, dim, slot, k1, k2, k3), [v, c, d, chats]);
        }
        let recomputed = recompute(&mut conn, site_id).await?;
        let mut out = drift(&stored, &recomputed);
        let horizon = super::retained::Horizons::of(&mut conn, site_id)
            .await?
            .dialogs;
        let messages = MessageDelta::recompute(&mut conn, site, horizon).await?;
        out.extend(
            MessageDelta::stored(&mut conn, site)
                .await?
                .drift(&messages),
        );
        let stale: Vec<(String, uuid::Uuid)> = conn
            .fetch_all(&rollups::copy_drift_sql(), args![site])
            .await?;
        out.extend(
            stale
                .into_iter()
                .map(|(t, id)| format!("{t} {id}: attribution differs from its source")),
        );
        Ok(out)
    }

    async fn rebuild_rollups(&self, site_id: SiteId) -> Result<usize, StoreError> {
        let mut tx = self.begin().await?;
        for fact in [Fact::Clicks, Fact::Dialogs] {
            for sql in copy_attribution_sql(fact, None) {
                tx.execute(&sql, args![site_id.0]).await?;
            }
        }
        // Recomputed first: the counts of days before a retention horizon are read from
        // the stored rollups.
        let mut delta = recompute(&mut tx, site_id).await?;
        tx.execute(
            "DELETE FROM report_rollups WHERE site_id = $1",
            args![site_id.0],
        )
        .await?;
        delta.write(&mut tx).await?;
        let horizon = super::retained::Horizons::of(&mut tx, site_id)
            .await?
            .dialogs;
        let messages = MessageDelta::recompute(&mut tx, site_id.0, horizon).await?;
        messages.replace(&mut tx, site_id.0).await?;
        tx.commit().await?;
        Ok(delta.rows().len() + messages.rows().count())
    }

    async fn summary(
        &self,
        site_id: SiteId,
        from_ms: i64,
        to_ms: i64,
        filters: &ReportFilters,
    ) -> Result<Summary, StoreError> {
        // Dialogs and first dialogs, by kind, from the rollups where they serve.
        let by_kind = CountQuery {
            site_id,
            fact: Fact::Dialogs,
            from_ms,
            to_ms,
            keys: &[Key::Kind],
            first_key_required: false,
            bucket_ms: None,
            offset_ms: 0,
            filters,
        };
        let kinds = self.count(&by_kind).await?;
        super::summary_sql::summary(self, site_id, (from_ms, to_ms), filters, &kinds).await
    }

    async fn import_costs(
        &self,
        site_id: SiteId,
        rows: &[CostRow],
    ) -> Result<CostImport, StoreError> {
        super::costs::store::import(self, site_id, rows).await
    }

    async fn cost_totals(
        &self,
        site_id: SiteId,
        from: i64,
        to: i64,
    ) -> Result<Vec<CostTotal>, StoreError> {
        super::costs::store::totals(self, site_id, from, to).await
    }

    async fn site_money(&self, site_id: SiteId) -> Result<SiteMoney, StoreError> {
        money::site_money(self, site_id).await
    }

    async fn outcomes(
        &self,
        site_id: SiteId,
        keys: &[Key],
        first_touch: bool,
        bounds: (i64, i64),
        filters: &ReportFilters,
    ) -> Result<Vec<OutcomeRow>, StoreError> {
        money::outcomes(self, site_id, keys, first_touch, bounds, filters).await
    }

    async fn lost_steps(
        &self,
        site_id: SiteId,
        keys: &[Key],
        first_touch: bool,
        bounds: (i64, i64),
        filters: &ReportFilters,
        stages: &Stages,
    ) -> Result<Vec<LostStep>, StoreError> {
        money::lost_steps(self, site_id, keys, first_touch, bounds, filters, stages).await
    }

    async fn spend(
        &self,
        site_id: SiteId,
        keys: &[Key],
        days: (i64, i64),
        currency: &str,
        filters: &ReportFilters,
    ) -> Result<Vec<(Option<String>, Option<String>, i64)>, StoreError> {
        money::spend(self, site_id, keys, days, currency, filters).await
    }
}

/// The rows of `q` on the fact tables.
async fn count_rows(conn: &mut Conn, q: &CountQuery<'_>) -> Result<Vec<CountRow>, sqlx::Error> {
    let (sql, binds) = q.to_sql();
    let mut args = args![q.site_id.0, q.from_ms, q.to_ms];
    args.extend(binds.into_iter().map(Arg::from));
    conn.fetch_all(&sql, args).await
}

/// The site's rollups recomputed from the fact tables, but for days before its retention
/// horizons, taken as stored ([`Horizons`](super::retained::Horizons)).
async fn recompute(conn: &mut Conn, site_id: SiteId) -> Result<RollupDelta, sqlx::Error> {
    let mut recomputed = RollupDelta::default();
    let none = ReportFilters::default();
    let horizons = super::retained::Horizons::of(conn, site_id).await?;
    for dim in DIMS {
        for fact in dim.facts {
            let q = CountQuery {
                site_id,
                fact: *fact,
                from_ms: horizons.recompute_from(*fact),
                to_ms: i64::MAX,
                keys: dim.keys,
                first_key_required: false,
                bucket_ms: Some(dim.slot_ms),
                offset_ms: 0,
                filters: &none,
            };
            for r in count_rows(conn, &q).await? {
                let keys = [r.k1.as_deref(), r.k2.as_deref(), r.k3.as_deref()];
                recomputed.add(site_id.0, dim.name.into(), r.b, keys, *fact, r.n);
            }
        }
    }
    horizons
        .keep_expired(conn, site_id, &mut recomputed)
        .await?;
    Ok(recomputed)
}

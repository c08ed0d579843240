//! Rollups of expired days: what retention leaves for reports.
//!
//! Retention (`storage::privacy`) deletes a site's visits and clicks before one UTC-day
//! horizon and its dialogs before another, without touching the rollups: the rollups keep
//! those days' counts, and reports over them read whole UTC days from the rollups. Checking
//! and rebuilding the rollups ([`Reports::rollup_drift`](super::store::Reports),
//! `rebuild_rollups`) therefore recompute from the fact tables only from each horizon on,
//! and take the stored counts of the days before it as they are (chat clicks follow
//! their clicks).

use super::query::Fact;
use super::rollups::{RollupDelta, COUNTERS, DIMS};
use crate::args;
use crate::db::Conn;
use crate::domain::site::SiteId;

/// A site's retention horizons: epoch ms (whole UTC days) before which its visits and
/// clicks, or its dialogs, have been deleted; `None` while nothing has expired.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Horizons {
    /// Sessions, their clicks and visitors.
    pub visits: Option<i64>,
    /// Dialogs and their messages.
    pub dialogs: Option<i64>,
}

impl Horizons {
    /// The site's horizons as stored.
    pub async fn of(conn: &mut Conn, site_id: SiteId) -> Result<Horizons, sqlx::Error> {
        let row: Option<(Option<i64>, Option<i64>)> = conn
            .fetch_optional(
                "SELECT visits_expired_before, dialogs_expired_before FROM sites \
                 WHERE site_id = $1",
                args![site_id.0],
            )
            .await?;
        let (visits, dialogs) = row.unwrap_or_default();
        Ok(Horizons { visits, dialogs })
    }

    /// The horizon of `fact`'s rows.
    pub fn of_fact(&self, fact: Fact) -> Option<i64> {
        match fact {
            Fact::Sessions | Fact::Clicks | Fact::ChatClicks => self.visits,
            Fact::Dialogs => self.dialogs,
        }
    }

    /// Where a recomputation of `fact` from the fact tables starts.
    pub fn recompute_from(&self, fact: Fact) -> i64 {
        self.of_fact(fact).unwrap_or(i64::MIN)
    }

    /// Adds to `delta` the stored counts of the slots before each fact's horizon: what the
    /// fact tables no longer hold. Read before the stored rollups are replaced.
    pub async fn keep_expired(
        &self,
        conn: &mut Conn,
        site_id: SiteId,
        delta: &mut RollupDelta,
    ) -> Result<(), sqlx::Error> {
        if self.visits.is_none() && self.dialogs.is_none() {
            return Ok(());
        }
        type Row = (String, i64, String, String, String, i64, i64, i64, i64);
        let rows: Vec<Row> = conn
            .fetch_all(
                &format!(
                    "SELECT dim, slot, k1, k2, k3, {} FROM report_rollups WHERE site_id = $1",
                    COUNTERS.join(", ")
                ),
                args![site_id.0],
            )
            .await?;
        for (dim, slot, k1, k2, k3, visits, clicks, dialogs, chats) in rows {
            let Some(width) = DIMS.iter().find(|d| d.name == dim).map(|d| d.slot_ms) else {
                continue;
            };
            let start = slot.saturating_mul(width);
            let expired = |fact: Fact| self.of_fact(fact).is_some_and(|h| start < h);
            let counts = [
                (Fact::Sessions, visits),
                (Fact::Clicks, clicks),
                (Fact::Dialogs, dialogs),
                (Fact::ChatClicks, chats),
            ];
            let key = (site_id.0, dim, slot, k1, k2, k3);
            for (i, (fact, n)) in counts.into_iter().enumerate() {
                if expired(fact) && n != 0 {
                    delta.0.entry(key.clone()).or_default()[i] += n;
                }
            }
        }
        Ok(())
    }
}

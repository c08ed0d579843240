//! Keeping `report_rollups` in step with the fact tables inside a write transaction.
//!
//! Every write that adds or changes sessions, clicks or dialogs takes the contributions of
//! the rows it is about to change out of a [`RollupDelta`] ([`RollupDelta::count_out`]),
//! changes them, marks them and the rows it adds to be counted in
//! ([`RollupDelta::count_in`]), and writes the delta before committing
//! ([`RollupDelta::write`]), which first counts in every such row once, as it then stands,
//! after refreshing its copied attribution ([`RollupDelta::settle`]).

use std::collections::BTreeSet;

use uuid::Uuid;

use super::delta::FactOrder;
use super::{copy_attribution_sql, fact_rows_sql, FactRow, RollupDelta, Touched, COUNTERS};
use crate::args;
use crate::db::{site_id_lists, Arg, Conn, Statement};
use crate::reports::query::Fact;

/// The ids that `select` (`$1` site, ending in the column to match) finds among `ids`.
pub async fn ids_in(
    conn: &mut Conn,
    select: &str,
    site: Uuid,
    ids: &[Uuid],
) -> Result<Vec<Uuid>, sqlx::Error> {
    let mut found = Vec::new();
    for (list, args) in site_id_lists(conn.backend(), site, ids) {
        let rows: Vec<(Uuid,)> = conn.fetch_all(&format!("{select}{list}"), args).await?;
        found.extend(rows.into_iter().map(|(id,)| id));
    }
    Ok(found)
}

/// The clicks that the dialogs `ids` of `site` point at: their chat-click counts change
/// when a write changes which click a dialog points at (see [`Fact::ChatClicks`]), so such
/// writes count them out and back in around the change.
pub async fn clicks_of(
    conn: &mut Conn,
    site: Uuid,
    dialogs: &[Uuid],
) -> Result<Vec<Uuid>, sqlx::Error> {
    let select = "SELECT DISTINCT click_id FROM dialogs WHERE site_id = $1 \
                  AND click_id IS NOT NULL AND dialog_id";
    ids_in(conn, select, site, dialogs).await
}

/// Copies into the `fact` rows `ids` (clicks or dialogs) their session's attribution, into
/// dialogs their click's page and into dialogs' tags their start (see
/// [`COPIED_FROM_SESSION`](crate::reports::query::COPIED_FROM_SESSION)); NULLs where the
/// session or click is missing. Deferred ([`Conn::defer`]): sent with the next statement.
fn copy_attribution(conn: &mut Conn, site: Uuid, fact: Fact, ids: &[Uuid]) {
    for (list, args) in site_id_lists(conn.backend(), site, ids) {
        for sql in copy_attribution_sql(fact, Some(&list)) {
            conn.defer(sql, args.clone());
        }
    }
}

impl RollupDelta {
    /// Adds `sign` × the rollup contributions of the `fact` rows `ids` of `site`.
    async fn collect(
        &mut self,
        conn: &mut Conn,
        site: Uuid,
        fact: Fact,
        ids: &[Uuid],
        sign: i64,
    ) -> Result<(), sqlx::Error> {
        for (list, args) in site_id_lists(conn.backend(), site, ids) {
            let rows: Vec<FactRow> = conn.fetch_all(&fact_rows_sql(fact, &list), args).await?;
            self.add_fact_rows(site, fact, &rows, sign);
        }
        Ok(())
    }

    /// The facts counted over `fact`'s rows: a click is also a chat click while a dialog
    /// points at it.
    fn counted_over(fact: Fact) -> &'static [Fact] {
        match fact {
            Fact::Clicks => &[Fact::Clicks, Fact::ChatClicks],
            Fact::Sessions => &[Fact::Sessions],
            Fact::Dialogs => &[Fact::Dialogs],
            Fact::ChatClicks => &[Fact::ChatClicks],
        }
    }

    /// Takes the contributions of the `fact` rows `ids` out, before they change (once per
    /// transaction: a row counted out or added before is left to [`RollupDelta::settle`]).
    pub async fn count_out(
        &mut self,
        conn: &mut Conn,
        site: Uuid,
        fact: Fact,
        ids: &[Uuid],
    ) -> Result<(), sqlx::Error> {
        for &fact in Self::counted_over(fact) {
            let open = self.1.entry((site, FactOrder::of(fact))).or_default();
            let first: Vec<Uuid> = ids.iter().copied().filter(|id| open.insert(*id)).collect();
            self.collect(conn, site, fact, &first, -1).await?;
        }
        Ok(())
    }

    /// Counts the `fact` rows `ids` in as they will stand at the end of the transaction:
    /// [`RollupDelta::settle`] reads them then.
    pub fn count_in(&mut self, site: Uuid, fact: Fact, ids: &[Uuid]) {
        for &fact in Self::counted_over(fact) {
            let open = self.1.entry((site, FactOrder::of(fact))).or_default();
            open.extend(ids.iter().copied());
        }
    }

    /// Counts in every row counted out or added in this transaction, once written: first
    /// refreshes their copied attribution, so every write that adds a click or dialog, or
    /// changes the session or click one points at, keeps the copies current. Sessions
    /// first, since clicks and dialogs copy from them.
    pub async fn settle(&mut self, conn: &mut Conn) -> Result<(), sqlx::Error> {
        for ((site, order), ids) in std::mem::take(&mut self.1) {
            let ids: Vec<Uuid> = ids.into_iter().collect();
            copy_attribution(conn, site, order.fact(), &ids);
            self.collect(conn, site, order.fact(), &ids, 1).await?;
        }
        Ok(())
    }

    /// Before writing sessions and clicks of `site`: finds which are new, and takes out the
    /// contributions of existing clicks and dialogs whose session is among the new ones.
    /// The [`Touched`] rows are counted back in with [`RollupDelta::after_write`].
    pub async fn before_write(
        &mut self,
        conn: &mut Conn,
        site: Uuid,
        sessions: impl IntoIterator<Item = Uuid>,
        clicks: impl IntoIterator<Item = Uuid>,
    ) -> Result<Touched, sqlx::Error> {
        let sessions = new_ids(
            conn,
            "SELECT session_id FROM sessions WHERE site_id = $1 AND session_id",
            site,
            sessions,
        )
        .await?;
        let clicks = new_ids(
            conn,
            "SELECT click_id FROM clicks WHERE site_id = $1 AND click_id",
            site,
            clicks,
        )
        .await?;
        // Before looking for what points at the new sessions: a probable match to one of
        // them, committed or waiting, is then seen here or sees the session.
        conn.lock_sessions(sessions.iter().copied()).await?;
        let orphan_clicks = ids_in(
            conn,
            "SELECT click_id FROM clicks WHERE site_id = $1 AND session_id",
            site,
            &sessions,
        )
        .await?;
        let orphan_dialogs = ids_in(
            conn,
            "SELECT dialog_id FROM dialogs WHERE site_id = $1 AND session_id",
            site,
            &sessions,
        )
        .await?;
        self.count_out(conn, site, Fact::Clicks, &orphan_clicks)
            .await?;
        self.count_out(conn, site, Fact::Dialogs, &orphan_dialogs)
            .await?;
        let clicks: BTreeSet<Uuid> = clicks.into_iter().chain(orphan_clicks).collect();
        Ok(Touched {
            sessions,
            clicks: clicks.into_iter().collect(),
            dialogs: orphan_dialogs,
        })
    }

    /// Counts the `touched` rows of `site` in, once written ([`RollupDelta::settle`]).
    pub fn after_write(&mut self, site: Uuid, touched: &Touched) {
        self.count_in(site, Fact::Sessions, &touched.sessions);
        self.count_in(site, Fact::Clicks, &touched.clicks);
        self.count_in(site, Fact::Dialogs, &touched.dialogs);
    }

    /// Counts in what is still open, then adds the delta to `report_rollups`, in key order,
    /// with the transaction's next statement or its commit ([`Conn::defer`]).
    pub async fn write(&mut self, conn: &mut Conn) -> Result<(), sqlx::Error> {
        self.settle(conn).await?;
        let statements = self.statements(conn);
        conn.defer_all(statements);
        Ok(())
    }

    /// The statements [`RollupDelta::write`] runs, for [`Conn::execute_all`], once settled.
    pub fn statements(&self, conn: &Conn) -> Vec<Statement<'_>> {
        debug_assert!(self.1.is_empty(), "rows left to count in: settle first");
        let rows = self.rows();
        let add: Vec<String> = COUNTERS
            .iter()
            .map(|c| format!("{c} = report_rollups.{c} + excluded.{c}"))
            .collect();
        conn.rows_statements(
            &format!(
                "INSERT INTO report_rollups (site_id, dim, slot, k1, k2, k3, {})",
                COUNTERS.join(", ")
            ),
            &format!(
                "ON CONFLICT (site_id, dim, slot, k1, k2, k3) DO UPDATE SET {}",
                add.join(", ")
            ),
            rows.iter().map(|((site, dim, slot, k1, k2, k3), counts)| {
                let mut row = args![*site, dim, *slot, k1, k2, k3];
                row.extend(counts.iter().map(|n| Arg::from(*n)));
                row
            }),
        )
    }
}

/// The `ids` (deduplicated, sorted) that `select` does not find: rows not stored yet.
async fn new_ids(
    conn: &mut Conn,
    select: &str,
    site: Uuid,
    ids: impl IntoIterator<Item = Uuid>,
) -> Result<Vec<Uuid>, sqlx::Error> {
    let mut ids: BTreeSet<Uuid> = ids.into_iter().collect();
    let wanted: Vec<Uuid> = ids.iter().copied().collect();
    for id in ids_in(conn, select, site, &wanted).await? {
        ids.remove(&id);
    }
    Ok(ids.into_iter().collect())
}

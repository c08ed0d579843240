//! Keeping `report_rollups` in step with the fact tables inside a write transaction.
//!
//! Every write that adds or changes sessions, clicks or dialogs takes the contributions of
//! the rows it is about to change out of a [`RollupDelta`] ([`RollupDelta::count_out`]),
//! changes them, counts them back in ([`RollupDelta::count_in`], which first refreshes
//! their copied attribution), and writes the delta before committing
//! ([`RollupDelta::write`]).

use std::collections::BTreeSet;

use uuid::Uuid;

use super::{contribution_sql, copy_attribution_sql, RollupDelta, Touched, COUNTERS};
use crate::args;
use crate::db::{placeholders, Arg, Conn, Statement};
use crate::reports::query::Fact;

/// Ids per `IN (…)` list: well under both databases' parameter limits.
pub const ID_CHUNK: usize = 500;

/// `$1` site, then `ids`.
fn site_and_ids(site: Uuid, ids: &[Uuid]) -> Vec<Arg<'static>> {
    let mut args = args![site];
    args.extend(ids.iter().map(|id| Arg::from(*id)));
    args
}

/// The ids that `select` (`$1` site, ending in the column to match) finds among `ids`.
pub async fn ids_in(
    conn: &mut Conn,
    select: &str,
    site: Uuid,
    ids: &[Uuid],
) -> Result<Vec<Uuid>, sqlx::Error> {
    let mut found = Vec::new();
    for chunk in ids.chunks(ID_CHUNK) {
        let sql = format!("{select} IN ({})", placeholders(2, chunk.len()));
        let rows: Vec<(Uuid,)> = conn.fetch_all(&sql, site_and_ids(site, chunk)).await?;
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
    let mut clicks = Vec::new();
    for chunk in dialogs.chunks(ID_CHUNK) {
        let sql = format!(
            "SELECT DISTINCT click_id FROM dialogs WHERE site_id = $1 AND click_id IS NOT NULL \
             AND dialog_id IN ({})",
            placeholders(2, chunk.len())
        );
        let rows: Vec<(Uuid,)> = conn.fetch_all(&sql, site_and_ids(site, chunk)).await?;
        clicks.extend(rows.into_iter().map(|(id,)| id));
    }
    Ok(clicks)
}

/// Copies into the `fact` rows `ids` (clicks or dialogs) their session's attribution, into
/// dialogs their click's page and into dialogs' tags their start (see
/// [`COPIED_FROM_SESSION`](crate::reports::query::COPIED_FROM_SESSION)); NULLs where the
/// session or click is missing. Deferred ([`Conn::defer`]): sent with the next statement.
fn copy_attribution(conn: &mut Conn, site: Uuid, fact: Fact, ids: &[Uuid]) {
    for chunk in ids.chunks(ID_CHUNK) {
        for sql in copy_attribution_sql(fact, Some(chunk.len())) {
            conn.defer(sql, site_and_ids(site, chunk));
        }
    }
}

impl RollupDelta {
    /// Adds `sign` × the rollup contributions of the `fact` rows `ids` of `site`, and of
    /// the facts counted over the same rows: a click is also a chat click while a dialog
    /// points at it.
    async fn collect(
        &mut self,
        conn: &mut Conn,
        site: Uuid,
        fact: Fact,
        ids: &[Uuid],
        sign: i64,
    ) -> Result<(), sqlx::Error> {
        type Row = (
            String,
            Option<String>,
            Option<String>,
            Option<String>,
            i64,
            i64,
        );
        let facts: &[Fact] = match fact {
            Fact::Clicks => &[Fact::Clicks, Fact::ChatClicks],
            _ => &[fact],
        };
        for &fact in facts {
            for chunk in ids.chunks(ID_CHUNK) {
                let sql = contribution_sql(fact, chunk.len());
                let rows: Vec<Row> = conn.fetch_all(&sql, site_and_ids(site, chunk)).await?;
                for (dim, k1, k2, k3, slot, n) in rows {
                    self.add(site, dim, slot, [&k1, &k2, &k3], fact, sign * n);
                }
            }
        }
        Ok(())
    }

    /// Takes the contributions of the `fact` rows `ids` out, before they change.
    pub async fn count_out(
        &mut self,
        conn: &mut Conn,
        site: Uuid,
        fact: Fact,
        ids: &[Uuid],
    ) -> Result<(), sqlx::Error> {
        self.collect(conn, site, fact, ids, -1).await
    }

    /// Counts the `fact` rows `ids` in, once written: first refreshes their copied
    /// attribution, so every write that adds a click or dialog, or changes the session or
    /// click one points at, keeps the copies current.
    pub async fn count_in(
        &mut self,
        conn: &mut Conn,
        site: Uuid,
        fact: Fact,
        ids: &[Uuid],
    ) -> Result<(), sqlx::Error> {
        copy_attribution(conn, site, fact, ids);
        self.collect(conn, site, fact, ids, 1).await
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

    /// Counts the `touched` rows of `site` in, once written.
    pub async fn after_write(
        &mut self,
        conn: &mut Conn,
        site: Uuid,
        touched: &Touched,
    ) -> Result<(), sqlx::Error> {
        self.count_in(conn, site, Fact::Sessions, &touched.sessions)
            .await?;
        self.count_in(conn, site, Fact::Clicks, &touched.clicks)
            .await?;
        self.count_in(conn, site, Fact::Dialogs, &touched.dialogs)
            .await
    }

    /// Adds the delta to `report_rollups`, in key order, with the transaction's next
    /// statement or its commit ([`Conn::defer`]).
    pub fn write(&self, conn: &mut Conn) {
        let statements = self.statements(conn);
        conn.defer_all(statements);
    }

    /// The statements [`RollupDelta::write`] runs, for [`Conn::execute_all`].
    pub fn statements(&self, conn: &Conn) -> Vec<Statement<'_>> {
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

//! Keeping `report_rollups` in step with the fact tables (see [`crate::storage::rollups`]).
//! Every write that adds or changes sessions, clicks or dialogs collects the contributions
//! it removes and adds into a [`RollupDelta`](crate::storage::rollups::RollupDelta) and
//! writes it with [`apply_rollups!`] before committing.

/// Ids per `IN (…)` list: well under both databases' parameter limits.
pub const ID_CHUNK: usize = 500;

/// How a backend makes two writers that meet on one session wait for each other: the
/// transaction adding the session (which refreshes the clicks and dialogs already pointing at
/// it) and one attributing a dialog to it as probable (which copies the session's
/// attribution). Otherwise each can miss the other's uncommitted row, and the dialog keeps no
/// channel. PostgreSQL takes a transaction-scoped advisory lock per session; SQLite already
/// has one writer at a time.
pub trait SessionLocks {
    /// Locks the sessions whose keys ([`lock_keys`]) are bound as `$1`, in that order.
    const SQL: Option<&'static str>;
}

impl SessionLocks for sqlx::Sqlite {
    const SQL: Option<&'static str> = None;
}

impl SessionLocks for sqlx::Postgres {
    // The array's order is the order of acquisition; 7301 keeps chatrail's locks apart from
    // other users of advisory locks.
    const SQL: Option<&'static str> = Some(
        "SELECT pg_advisory_xact_lock(7301, CAST(k AS INTEGER)) \
         FROM unnest(string_to_array($1, ',')) AS k",
    );
}

/// The lock keys of `sessions`, sorted (so writers locking several take them in one order
/// and cannot deadlock) and comma-separated. Two sessions may share a key: that only makes
/// their writers wait for each other.
pub fn lock_keys(sessions: impl IntoIterator<Item = uuid::Uuid>) -> String {
    let mut keys: Vec<i32> = sessions
        .into_iter()
        .map(|id| {
            let b = id.as_bytes();
            let fold = u32::from_le_bytes([b[12], b[13], b[14], b[15]])
                ^ u32::from_le_bytes([b[4], b[5], b[6], b[7]]);
            fold as i32
        })
        .collect();
    keys.sort_unstable();
    keys.dedup();
    keys.iter()
        .map(|k| k.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// Takes the [`SessionLocks`] of `$db` on the sessions `$ids` on transaction `$conn`.
macro_rules! lock_sessions {
    ($conn:ident, $db:ty, $ids:expr) => {{
        if let Some(sql) = <$db as $crate::storage::sql::rollups::SessionLocks>::SQL {
            let keys = $crate::storage::sql::rollups::lock_keys($ids);
            if !keys.is_empty() {
                sqlx::query(sql).bind(keys).execute(&mut *$conn).await?;
            }
        }
    }};
}
pub(crate) use lock_sessions;

/// The ids returned by `$select` (`$1` site, ending in a column to match) `IN` the `$ids`
/// list, on connection or transaction `$conn`.
macro_rules! ids_in {
    ($conn:ident, $select:expr, $site:expr, $ids:expr) => {{
        let mut found: Vec<uuid::Uuid> = Vec::new();
        for chunk in $ids.chunks($crate::storage::sql::rollups::ID_CHUNK) {
            let list: Vec<String> = (2..chunk.len() + 2).map(|i| format!("${i}")).collect();
            let sql = format!("{} IN ({})", $select, list.join(", "));
            let mut q = sqlx::query_as::<_, (uuid::Uuid,)>(&sql).bind($site);
            for id in chunk {
                q = q.bind(*id);
            }
            found.extend(q.fetch_all(&mut *$conn).await?.into_iter().map(|(id,)| id));
        }
        found
    }};
}
pub(crate) use ids_in;

/// Copies into the `$fact` rows `$ids` (clicks or dialogs) of site `$site` their session's
/// attribution, into dialogs their click's page and into dialogs' tags their start (see
/// [`COPIED_FROM_SESSION`](crate::storage::reports::COPIED_FROM_SESSION)); NULLs where the
/// session or click is missing.
macro_rules! copy_attribution {
    ($conn:ident, $site:expr, $fact:expr, $ids:expr) => {{
        let fact: $crate::storage::Fact = $fact;
        for chunk in $ids.chunks($crate::storage::sql::rollups::ID_CHUNK) {
            for sql in $crate::storage::rollups::copy_attribution_sql(fact, Some(chunk.len())) {
                let mut q = sqlx::query(&sql).bind($site);
                for id in chunk {
                    q = q.bind(*id);
                }
                q.execute(&mut *$conn).await?;
            }
        }
    }};
}
pub(crate) use copy_attribution;

/// Adds `$sign` × the rollup contributions of the `$fact` rows `$ids` of site `$site` to
/// `$delta`. Counting rows in (a positive sign) first refreshes their copied attribution
/// ([`copy_attribution!`]): every write that adds a click or dialog, or changes the session
/// or click one points at, counts it in afterwards, so the copies cannot fall behind.
macro_rules! collect_rollups {
    ($conn:ident, $site:expr, $fact:expr, $ids:expr, $sign:expr, $delta:expr) => {{
        let fact: $crate::storage::Fact = $fact;
        let site: uuid::Uuid = $site;
        let sign: i64 = $sign;
        if sign > 0 {
            $crate::storage::sql::rollups::copy_attribution!($conn, site, fact, $ids);
        }
        for chunk in $ids.chunks($crate::storage::sql::rollups::ID_CHUNK) {
            let sql = $crate::storage::rollups::contribution_sql(fact, chunk.len());
            type Row = (
                String,
                Option<String>,
                Option<String>,
                Option<String>,
                i64,
                i64,
            );
            let mut q = sqlx::query_as::<_, Row>(&sql).bind(site);
            for id in chunk {
                q = q.bind(*id);
            }
            for (dim, k1, k2, k3, slot, n) in q.fetch_all(&mut *$conn).await? {
                $delta.add(site, dim, slot, [&k1, &k2, &k3], fact, sign * n);
            }
        }
    }};
}
pub(crate) use collect_rollups;

/// Writes `$delta` into `report_rollups` on transaction `$conn`, in key order.
macro_rules! apply_rollups {
    ($conn:ident, $db:ty, $delta:expr) => {{
        let delta: &$crate::storage::rollups::RollupDelta = &$delta;
        let rows = delta.rows();
        // 9 parameters a row.
        for chunk in rows.chunks(1000) {
            let mut b = sqlx::QueryBuilder::<$db>::new(
                "INSERT INTO report_rollups (site_id, dim, slot, k1, k2, k3, visits, clicks, \
                 dialogs) ",
            );
            b.push_values(
                chunk,
                |mut row, ((site, dim, slot, k1, k2, k3), [v, c, d])| {
                    row.push_bind(*site)
                        .push_bind(dim.as_str())
                        .push_bind(*slot)
                        .push_bind(k1.as_str())
                        .push_bind(k2.as_str())
                        .push_bind(k3.as_str())
                        .push_bind(*v)
                        .push_bind(*c)
                        .push_bind(*d);
                },
            );
            b.push(
                " ON CONFLICT (site_id, dim, slot, k1, k2, k3) DO UPDATE SET \
                 visits = report_rollups.visits + excluded.visits, \
                 clicks = report_rollups.clicks + excluded.clicks, \
                 dialogs = report_rollups.dialogs + excluded.dialogs",
            );
            b.build().execute(&mut *$conn).await?;
        }
    }};
}
pub(crate) use apply_rollups;

/// Before writing sessions `$sessions` and clicks `$clicks` of site `$site`: finds which are
/// new, and takes out the contributions of existing clicks and dialogs whose session is
/// among the new ones. Evaluates to the [`Touched`](crate::storage::rollups::Touched) rows
/// to count back in with [`rollups_after!`] once written.
macro_rules! rollups_before {
    ($conn:ident, $db:ty, $site:expr, $sessions:expr, $clicks:expr, $delta:expr) => {{
        use std::collections::BTreeSet;
        let site: uuid::Uuid = $site;
        let mut sessions: BTreeSet<uuid::Uuid> = $sessions.into_iter().collect();
        let wanted: Vec<uuid::Uuid> = sessions.iter().copied().collect();
        for id in $crate::storage::sql::rollups::ids_in!(
            $conn,
            "SELECT session_id FROM sessions WHERE site_id = $1 AND session_id",
            site,
            wanted
        ) {
            sessions.remove(&id);
        }
        let mut clicks: BTreeSet<uuid::Uuid> = $clicks.into_iter().collect();
        let wanted: Vec<uuid::Uuid> = clicks.iter().copied().collect();
        for id in $crate::storage::sql::rollups::ids_in!(
            $conn,
            "SELECT click_id FROM clicks WHERE site_id = $1 AND click_id",
            site,
            wanted
        ) {
            clicks.remove(&id);
        }
        let sessions: Vec<uuid::Uuid> = sessions.into_iter().collect();
        // Before looking for what points at the new sessions: a probable match to one of
        // them, committed or waiting, is then seen here or sees the session (SessionLocks).
        $crate::storage::sql::rollups::lock_sessions!($conn, $db, sessions.iter().copied());
        let orphan_clicks = $crate::storage::sql::rollups::ids_in!(
            $conn,
            "SELECT click_id FROM clicks WHERE site_id = $1 AND session_id",
            site,
            sessions
        );
        let orphan_dialogs = $crate::storage::sql::rollups::ids_in!(
            $conn,
            "SELECT dialog_id FROM dialogs WHERE site_id = $1 AND session_id",
            site,
            sessions
        );
        $crate::storage::sql::rollups::collect_rollups!(
            $conn,
            site,
            $crate::storage::Fact::Clicks,
            orphan_clicks,
            -1,
            $delta
        );
        $crate::storage::sql::rollups::collect_rollups!(
            $conn,
            site,
            $crate::storage::Fact::Dialogs,
            orphan_dialogs,
            -1,
            $delta
        );
        clicks.extend(orphan_clicks);
        $crate::storage::rollups::Touched {
            sessions,
            clicks: clicks.into_iter().collect(),
            dialogs: orphan_dialogs,
        }
    }};
}
pub(crate) use rollups_before;

/// Counts the [`Touched`](crate::storage::rollups::Touched) rows `$touched` of site `$site`
/// into `$delta`, once written.
macro_rules! rollups_after {
    ($conn:ident, $site:expr, $touched:expr, $delta:expr) => {{
        let touched: &$crate::storage::rollups::Touched = &$touched;
        use $crate::storage::Fact;
        $crate::storage::sql::rollups::collect_rollups!(
            $conn,
            $site,
            Fact::Sessions,
            touched.sessions,
            1,
            $delta
        );
        $crate::storage::sql::rollups::collect_rollups!(
            $conn,
            $site,
            Fact::Clicks,
            touched.clicks,
            1,
            $delta
        );
        $crate::storage::sql::rollups::collect_rollups!(
            $conn,
            $site,
            Fact::Dialogs,
            touched.dialogs,
            1,
            $delta
        );
    }};
}
pub(crate) use rollups_after;

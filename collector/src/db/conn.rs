//! Connections and transactions over either backend, and the ways to run a statement.

use sqlx::pool::PoolConnection;
use sqlx::{PgConnection, Postgres, Sqlite, SqliteConnection, Transaction};
use tokio::sync::OwnedMutexGuard;

use super::args::{arguments, values_sql, Arg, Record};
use super::Backend;

/// Most parameters one multi-row statement binds: under SQLite's limit (32,766) and
/// PostgreSQL's (65,535).
const MAX_PARAMS: usize = 30_000;

/// The driver's connection under one statement.
enum Raw<'c> {
    Sqlite(&'c mut SqliteConnection),
    Postgres(&'c mut PgConnection),
}

impl Raw<'_> {
    async fn execute(self, sql: &str, args: Vec<Arg<'_>>) -> Result<u64, sqlx::Error> {
        Ok(match self {
            Raw::Sqlite(c) => sqlx::query_with(sql, arguments::<Sqlite>(args)?)
                .execute(c)
                .await?
                .rows_affected(),
            Raw::Postgres(c) => sqlx::query_with(sql, arguments::<Postgres>(args)?)
                .execute(c)
                .await?
                .rows_affected(),
        })
    }

    async fn fetch_all<T: Record>(
        self,
        sql: &str,
        args: Vec<Arg<'_>>,
    ) -> Result<Vec<T>, sqlx::Error> {
        match self {
            Raw::Sqlite(c) => {
                sqlx::query_as_with(sql, arguments::<Sqlite>(args)?)
                    .fetch_all(c)
                    .await
            }
            Raw::Postgres(c) => {
                sqlx::query_as_with(sql, arguments::<Postgres>(args)?)
                    .fetch_all(c)
                    .await
            }
        }
    }

    async fn fetch_optional<T: Record>(
        self,
        sql: &str,
        args: Vec<Arg<'_>>,
    ) -> Result<Option<T>, sqlx::Error> {
        match self {
            Raw::Sqlite(c) => {
                sqlx::query_as_with(sql, arguments::<Sqlite>(args)?)
                    .fetch_optional(c)
                    .await
            }
            Raw::Postgres(c) => {
                sqlx::query_as_with(sql, arguments::<Postgres>(args)?)
                    .fetch_optional(c)
                    .await
            }
        }
    }
}

/// What a [`Conn`] runs on.
pub(super) enum Inner {
    SqliteTx(Transaction<'static, Sqlite>),
    PostgresTx(Transaction<'static, Postgres>),
    Sqlite(PoolConnection<Sqlite>),
    Postgres(PoolConnection<Postgres>),
}

/// A connection from the pool, inside a write transaction ([`Db::begin`](super::Db::begin))
/// or not ([`Db::read`](super::Db::read)). A transaction dropped without
/// [`Conn::commit`] rolls back.
pub struct Conn {
    inner: Inner,
    /// SQLite's writer queue, held until the transaction ends (declared after `inner`, so a
    /// dropped transaction rolls back before the next writer starts).
    _writer: Option<OwnedMutexGuard<()>>,
}

impl std::fmt::Debug for Conn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Conn")
            .field("backend", &self.backend())
            .finish()
    }
}

impl Conn {
    pub(super) fn new(inner: Inner, writer: Option<OwnedMutexGuard<()>>) -> Conn {
        Conn {
            inner,
            _writer: writer,
        }
    }

    fn raw(&mut self) -> Raw<'_> {
        match &mut self.inner {
            Inner::SqliteTx(tx) => Raw::Sqlite(tx),
            Inner::PostgresTx(tx) => Raw::Postgres(tx),
            Inner::Sqlite(c) => Raw::Sqlite(c),
            Inner::Postgres(c) => Raw::Postgres(c),
        }
    }

    /// Which backend runs the statements.
    pub fn backend(&self) -> Backend {
        match self.inner {
            Inner::SqliteTx(_) | Inner::Sqlite(_) => Backend::Sqlite,
            Inner::PostgresTx(_) | Inner::Postgres(_) => Backend::Postgres,
        }
    }

    /// Runs a statement; the number of rows it changed.
    pub async fn execute(&mut self, sql: &str, args: Vec<Arg<'_>>) -> Result<u64, sqlx::Error> {
        self.raw().execute(sql, args).await
    }

    /// Runs a query and returns its rows.
    pub async fn fetch_all<T: Record>(
        &mut self,
        sql: &str,
        args: Vec<Arg<'_>>,
    ) -> Result<Vec<T>, sqlx::Error> {
        self.raw().fetch_all(sql, args).await
    }

    /// Runs a query and returns its first row, if any.
    pub async fn fetch_optional<T: Record>(
        &mut self,
        sql: &str,
        args: Vec<Arg<'_>>,
    ) -> Result<Option<T>, sqlx::Error> {
        self.raw().fetch_optional(sql, args).await
    }

    /// Runs a query that yields exactly one row.
    pub async fn fetch_one<T: Record>(
        &mut self,
        sql: &str,
        args: Vec<Arg<'_>>,
    ) -> Result<T, sqlx::Error> {
        self.raw()
            .fetch_optional(sql, args)
            .await?
            .ok_or(sqlx::Error::RowNotFound)
    }

    /// Inserts `rows` (each the same number of values) with `head VALUES (…), (…) tail`, as
    /// many rows a statement as the parameter limit allows.
    pub async fn insert_rows<'a>(
        &mut self,
        head: &str,
        tail: &str,
        rows: impl IntoIterator<Item = Vec<Arg<'a>>>,
    ) -> Result<(), sqlx::Error> {
        let rows: Vec<Vec<Arg<'a>>> = rows.into_iter().collect();
        let Some(width) = rows.first().map(Vec::len) else {
            return Ok(());
        };
        for chunk in rows.chunks((MAX_PARAMS / width.max(1)).max(1)) {
            let sql = values_sql(self.backend(), head, width, chunk.len(), tail);
            self.execute(&sql, chunk.concat()).await?;
        }
        Ok(())
    }

    /// Commits a transaction (then lets the next SQLite writer in); a no-op outside one.
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self.inner {
            Inner::SqliteTx(tx) => tx.commit().await,
            Inner::PostgresTx(tx) => tx.commit().await,
            Inner::Sqlite(_) | Inner::Postgres(_) => Ok(()),
        }
    }

    /// Makes two writers that meet on one session wait for each other: the transaction
    /// adding the session (which refreshes the clicks and dialogs already pointing at it)
    /// and one attributing a dialog to it as probable (which copies the session's
    /// attribution). Otherwise each can miss the other's uncommitted row, and the dialog
    /// keeps no channel. PostgreSQL takes a transaction-scoped advisory lock per session;
    /// SQLite already has one writer at a time.
    pub async fn lock_sessions(
        &mut self,
        sessions: impl IntoIterator<Item = uuid::Uuid>,
    ) -> Result<(), sqlx::Error> {
        if self.backend() == Backend::Sqlite {
            return Ok(());
        }
        let keys = lock_keys(sessions);
        if !keys.is_empty() {
            // The array's order is the order of acquisition; 7301 keeps chatrail's locks
            // apart from other users of advisory locks.
            let sql = "SELECT pg_advisory_xact_lock(7301, CAST(k AS INTEGER)) \
                       FROM unnest(string_to_array($1, ',')) AS k";
            self.execute(sql, crate::args![keys]).await?;
        }
        Ok(())
    }
}

/// The lock keys of `sessions`, sorted (so writers locking several take them in one order
/// and cannot deadlock) and comma-separated. Two sessions may share a key: that only makes
/// their writers wait for each other.
fn lock_keys(sessions: impl IntoIterator<Item = uuid::Uuid>) -> String {
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
    let keys: Vec<String> = keys.iter().map(i32::to_string).collect();
    keys.join(",")
}

//! Connections and transactions over either backend, and the ways to run a statement.

use sqlx::pool::PoolConnection;
use sqlx::{PgConnection, Postgres, Sqlite, SqliteConnection, Transaction};
use tokio::sync::OwnedMutexGuard;

use std::borrow::Cow;
use std::sync::Arc;

use super::args::{arguments, values_sql, Arg, Record};
use super::{Backend, WriteHealth};

/// Most parameters one multi-row statement binds: under SQLite's limit (32,766) and
/// PostgreSQL's (65,535).
const MAX_PARAMS: usize = 30_000;

/// The driver's connection under one statement.
pub(super) enum Raw<'c> {
    Sqlite(&'c mut SqliteConnection),
    Postgres(&'c mut PgConnection),
}

impl Raw<'_> {
    pub(super) async fn execute(self, sql: &str, args: Vec<Arg<'_>>) -> Result<u64, sqlx::Error> {
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

    /// Runs `BEGIN IMMEDIATE;\n` + `sql` on SQLite; the rows `sql` changed. (SQLite counts
    /// for `BEGIN` the changes of the last write before it, so its count is left out.)
    async fn execute_begun(self, sql: &str, args: Vec<Arg<'_>>) -> Result<u64, sqlx::Error> {
        use futures_util::TryStreamExt;
        use sqlx::Executor;
        let Raw::Sqlite(c) = self else {
            unreachable!("only SQLite defers its BEGIN")
        };
        let sql = after_begin(sql);
        let query = sqlx::query_with(&sql, arguments::<Sqlite>(args)?);
        let mut results = c.fetch_many(query);
        let mut changed = None;
        while let Some(step) = results.try_next().await? {
            if let sqlx::Either::Left(done) = step {
                // The first result is the BEGIN's.
                changed = Some(changed.map_or(0, |n: u64| n + done.rows_affected()));
            }
        }
        Ok(changed.unwrap_or(0))
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
    /// A SQLite connection inside a transaction begun with `BEGIN IMMEDIATE`, by us rather
    /// than by sqlx's `Transaction`: after an error SQLite may have rolled the transaction
    /// back on its own (`SQLITE_FULL`, `SQLITE_IOERR`), sqlx's count of open transactions
    /// then stays wrong, its next "transaction" on that connection is a savepoint whose
    /// rollback leaves the write lock held, and every writer after it fails with "database
    /// is locked" until a restart. `None` once committed or handed to [`end_sqlite`].
    SqliteTx(Option<PoolConnection<Sqlite>>),
    /// sqlx's transaction, which PostgreSQL keeps in step with (`None` once committed).
    PostgresTx(Option<Transaction<'static, Postgres>>),
    Sqlite(PoolConnection<Sqlite>),
    Postgres(PoolConnection<Postgres>),
}

/// A connection from the pool, inside a write transaction ([`Db::begin`](super::Db::begin))
/// or not ([`Db::read`](super::Db::read)). A transaction dropped without
/// [`Conn::commit`] rolls back.
pub struct Conn {
    inner: Inner,
    /// SQLite's writer queue, held until the transaction ends (a dropped transaction hands
    /// it to its rollback, so the next writer starts after that).
    _writer: Option<OwnedMutexGuard<()>>,
    /// The database's [`WriteHealth`], told of failures and commits.
    health: Arc<WriteHealth>,
    /// A SQLite transaction whose `BEGIN IMMEDIATE` is still to be sent: in front of its
    /// first statement, one round trip to the driver's connection thread fewer (under
    /// load each costs as much as a small write). Its writer's turn is already held, so
    /// no other writer can come between.
    begin_pending: bool,
}

impl std::fmt::Debug for Conn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Conn")
            .field("backend", &self.backend())
            .finish()
    }
}

impl Drop for Conn {
    /// A SQLite transaction neither committed nor rolled back yet is rolled back off the
    /// caller's path, and the next writer waits for that ([`end_sqlite`]).
    fn drop(&mut self) {
        if let Inner::SqliteTx(slot) = &mut self.inner {
            if self.begin_pending {
                // Nothing was begun: the connection goes back to the pool as it is.
                return;
            }
            if let Some(conn) = slot.take() {
                let writer = self._writer.take();
                match tokio::runtime::Handle::try_current() {
                    Ok(runtime) => drop(runtime.spawn(end_sqlite(conn, writer))),
                    // No runtime to roll back on: closing the connection rolls back.
                    Err(_) => drop(conn.detach()),
                }
            }
        }
    }
}

/// Rolls back a SQLite transaction that was not committed, then lets the next writer in. A
/// connection whose rollback fails (also when SQLite had rolled back already) is closed
/// rather than returned to the pool: whatever state it is in, closing ends it, and the
/// pool opens a fresh one.
async fn end_sqlite(mut conn: PoolConnection<Sqlite>, writer: Option<OwnedMutexGuard<()>>) {
    if let Err(e) = Raw::Sqlite(&mut conn).execute("ROLLBACK", Vec::new()).await {
        tracing::debug!(error = %e, "rollback failed; closing the connection");
        drop(conn.detach());
    }
    drop(writer);
}

impl Conn {
    pub(super) fn new(
        inner: Inner,
        writer: Option<OwnedMutexGuard<()>>,
        health: Arc<WriteHealth>,
    ) -> Conn {
        let begin_pending = matches!(inner, Inner::SqliteTx(_));
        Conn {
            inner,
            _writer: writer,
            health,
            begin_pending,
        }
    }

    /// `sql`, after the pending `BEGIN IMMEDIATE` if there is one, for a statement whose
    /// rows are read (writes go through [`Raw::execute_begun`], which counts their changes
    /// without the `BEGIN`'s). No longer pending once sent: if it failed, the transaction is
    /// rolled back as if dropped, which then fails harmlessly and closes the connection.
    fn begun<'s>(&mut self, sql: &'s str) -> Cow<'s, str> {
        if std::mem::take(&mut self.begin_pending) {
            Cow::Owned(after_begin(sql))
        } else {
            Cow::Borrowed(sql)
        }
    }

    fn raw(&mut self) -> Raw<'_> {
        match &mut self.inner {
            Inner::SqliteTx(tx) => Raw::Sqlite(tx.as_mut().expect("an open transaction")),
            Inner::PostgresTx(tx) => Raw::Postgres(tx.as_mut().expect("an open transaction")),
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
        let result = if std::mem::take(&mut self.begin_pending) {
            self.raw().execute_begun(sql, args).await
        } else {
            self.raw().execute(sql, args).await
        };
        self.health.note(result)
    }

    /// Runs a query and returns its rows.
    pub async fn fetch_all<T: Record>(
        &mut self,
        sql: &str,
        args: Vec<Arg<'_>>,
    ) -> Result<Vec<T>, sqlx::Error> {
        let sql = self.begun(sql);
        let result = self.raw().fetch_all(&sql, args).await;
        self.health.note(result)
    }

    /// Runs a query and returns its first row, if any.
    pub async fn fetch_optional<T: Record>(
        &mut self,
        sql: &str,
        args: Vec<Arg<'_>>,
    ) -> Result<Option<T>, sqlx::Error> {
        let sql = self.begun(sql);
        let result = self.raw().fetch_optional(&sql, args).await;
        self.health.note(result)
    }

    /// Runs a query that yields exactly one row.
    pub async fn fetch_one<T: Record>(
        &mut self,
        sql: &str,
        args: Vec<Arg<'_>>,
    ) -> Result<T, sqlx::Error> {
        self.fetch_optional(sql, args)
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
        let statements = self.rows_statements(head, tail, rows);
        self.execute_all(statements).await
    }

    /// The statements [`Conn::insert_rows`] runs, for [`Conn::execute_all`].
    pub fn rows_statements<'a>(
        &self,
        head: &str,
        tail: &str,
        rows: impl IntoIterator<Item = Vec<Arg<'a>>>,
    ) -> Vec<Statement<'a>> {
        let rows: Vec<Vec<Arg<'a>>> = rows.into_iter().collect();
        let Some(width) = rows.first().map(Vec::len) else {
            return Vec::new();
        };
        rows.chunks((MAX_PARAMS / width.max(1)).max(1))
            .map(|chunk| {
                let sql = values_sql(self.backend(), head, width, chunk.len(), tail);
                (sql, chunk.concat())
            })
            .collect()
    }

    /// Runs `statements` in order: on SQLite as one multi-statement text, one round trip to
    /// the driver's connection thread instead of one each (their parameters must all be
    /// anonymous `?`, as [`values_sql`] and [`list`](super::list) write them there, so each
    /// statement binds the values after the previous one's); on PostgreSQL one after another.
    pub async fn execute_all(&mut self, statements: Vec<Statement<'_>>) -> Result<(), sqlx::Error> {
        if self.backend() == Backend::Sqlite && statements.len() > 1 {
            let (sql, args) = script(statements);
            self.execute(&sql, args).await?;
            return Ok(());
        }
        for (sql, args) in statements {
            self.execute(&sql, args).await?;
        }
        Ok(())
    }

    /// Runs `statements` as [`Conn::execute_all`] does, then commits: on SQLite in the same
    /// round trip (a statement that fails stops the text before `COMMIT`, and the
    /// transaction is rolled back as if dropped).
    pub async fn commit_after(mut self, statements: Vec<Statement<'_>>) -> Result<(), sqlx::Error> {
        if !matches!(self.inner, Inner::SqliteTx(_)) || statements.is_empty() {
            self.execute_all(statements).await?;
            return self.commit().await;
        }
        let (sql, args) = script(statements);
        self.finish(Some((format!("{sql};\nCOMMIT"), args))).await
    }

    /// Commits a transaction (then lets the next SQLite writer in); a no-op outside one. A
    /// commit that fails leaves the transaction to be rolled back as if dropped.
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.finish(None).await
    }

    /// Commits, on SQLite with `script` (ending in `COMMIT`) instead of a bare `COMMIT`.
    async fn finish(mut self, script: Option<(String, Vec<Arg<'_>>)>) -> Result<(), sqlx::Error> {
        let committed = match &mut self.inner {
            Inner::SqliteTx(slot) if self.begin_pending && script.is_none() => {
                // Nothing was begun, so nothing to commit.
                self.begin_pending = false;
                slot.take();
                return Ok(());
            }
            Inner::SqliteTx(slot) => {
                let conn = slot.as_mut().expect("an open transaction");
                let (sql, args) = script.unwrap_or_else(|| ("COMMIT".to_owned(), Vec::new()));
                let sql = match std::mem::take(&mut self.begin_pending) {
                    true => after_begin(&sql),
                    false => sql,
                };
                let committed = Raw::Sqlite(conn).execute(&sql, args).await;
                if committed.is_ok() {
                    // Back to the pool.
                    slot.take();
                }
                committed.map(drop)
            }
            Inner::PostgresTx(slot) => slot.take().expect("an open transaction").commit().await,
            Inner::Sqlite(_) | Inner::Postgres(_) => return Ok(()),
        };
        self.health.note(committed)?;
        self.health.committed();
        Ok(())
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

/// `sql` after the `BEGIN IMMEDIATE` a SQLite transaction sends with its first statement.
fn after_begin(sql: &str) -> String {
    format!("BEGIN IMMEDIATE;\n{sql}")
}

/// A statement and its parameters.
pub type Statement<'a> = (String, Vec<Arg<'a>>);

/// Statements joined into one SQLite text, their parameters in order.
fn script(statements: Vec<Statement<'_>>) -> Statement<'_> {
    let mut sql = String::new();
    let mut args = Vec::new();
    for (text, values) in statements {
        if !sql.is_empty() {
            sql.push_str(";\n");
        }
        sql.push_str(&text);
        args.extend(values);
    }
    (sql, args)
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

//! Connections and transactions over either backend, and the ways to run a statement.

use sqlx::pool::PoolConnection;
use sqlx::{PgConnection, Postgres, Sqlite, SqliteConnection, Transaction};
use tokio::sync::OwnedMutexGuard;

use std::borrow::Cow;
use std::sync::Arc;

use super::args::{arguments, rows_sql, values_sql, Arg, Record, Statement};
use super::memo::Memo;
use super::script::{script, shift_params};
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

    /// Runs the SQLite script `sql`; the rows changed by its statements after the first
    /// `skip` (those sent in front of it: a `BEGIN`, whose count is the changes of the last
    /// write before it, and deferred writes, whose counts nobody reads).
    async fn execute_after(
        self,
        skip: usize,
        sql: &str,
        args: Vec<Arg<'_>>,
    ) -> Result<u64, sqlx::Error> {
        use futures_util::TryStreamExt;
        use sqlx::Executor;
        let Raw::Sqlite(c) = self else {
            unreachable!("only SQLite sends statements in front")
        };
        let query = sqlx::query_with(sql, arguments::<Sqlite>(args)?);
        let mut results = c.fetch_many(query);
        let (mut seen, mut changed) = (0, 0);
        while let Some(step) = results.try_next().await? {
            if let sqlx::Either::Left(done) = step {
                seen += 1;
                if seen > skip {
                    changed += done.rows_affected();
                }
            }
        }
        Ok(changed)
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
    /// The database's remembered reads ([`Conn::remembered`]).
    pub(super) memo: Arc<Memo>,
    /// A SQLite transaction whose `BEGIN IMMEDIATE` is still to be sent: in front of its
    /// first statement, one round trip to the driver's connection thread fewer (under
    /// load each costs as much as a small write). Its writer's turn is already held, so
    /// no other writer can come between.
    begin_pending: bool,
    /// Writes whose changed-row counts nobody reads ([`Conn::defer`]), sent in front of the
    /// transaction's next statement or its commit.
    deferred: Vec<Statement<'static>>,
    /// Whether advisory locks are only tried ([`Conn::try_locks`]), and whether one was
    /// found held.
    pub(super) locks: super::locks::LockMode,
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
                // Nothing was begun or sent (deferred writes included): the connection goes
                // back to the pool as it is.
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
        memo: Arc<Memo>,
    ) -> Conn {
        let begin_pending = matches!(inner, Inner::SqliteTx(_));
        Conn {
            inner,
            _writer: writer,
            health,
            memo,
            begin_pending,
            deferred: Vec::new(),
            locks: super::locks::LockMode::default(),
        }
    }

    /// `sql` with what goes in front of it: on SQLite one script of the pending
    /// `BEGIN IMMEDIATE`, the deferred writes and `sql` (their parameters bound in order,
    /// see `db/script.rs`), and how many statements precede `sql`; on PostgreSQL the deferred writes
    /// are run here, one by one, and `sql` is returned as it is. Nothing is pending after
    /// this: if the script fails, the transaction is rolled back as if dropped.
    async fn with_front<'s, 'a>(
        &mut self,
        sql: &'s str,
        args: Vec<Arg<'a>>,
    ) -> Result<(Cow<'s, str>, Vec<Arg<'a>>, usize), sqlx::Error> {
        let mut front: Vec<Statement<'a>> = Vec::new();
        if std::mem::take(&mut self.begin_pending) {
            front.push((BEGIN.to_owned(), Vec::new()));
        }
        front.extend(std::mem::take(&mut self.deferred));
        if front.is_empty() {
            return Ok((Cow::Borrowed(sql), args, 0));
        }
        if self.backend() == Backend::Postgres {
            for (text, values) in front {
                let ran = self.raw().execute(&text, values).await;
                self.health.note(ran)?;
            }
            return Ok((Cow::Borrowed(sql), args, 0));
        }
        let skip = front.len();
        front.push((sql.to_owned(), args));
        let (script, args) = script(front);
        Ok((Cow::Owned(script), args, skip))
    }

    /// Queues a write whose changed-row count is not needed: it is sent with the
    /// transaction's next statement or its commit (on SQLite in the same round trip to the
    /// driver's connection thread), so a failure shows there. Only inside a transaction,
    /// whose commit sends what is still queued.
    pub fn defer(&mut self, sql: impl Into<String>, args: Vec<Arg<'_>>) {
        debug_assert!(
            matches!(self.inner, Inner::SqliteTx(_) | Inner::PostgresTx(_)),
            "deferred writes need a transaction to send them"
        );
        let args = args.into_iter().map(Arg::into_owned).collect();
        self.deferred.push((sql.into(), args));
    }

    /// [`Conn::defer`] for several statements, in order.
    pub fn defer_all(&mut self, statements: Vec<Statement<'_>>) {
        for (sql, args) in statements {
            self.defer(sql, args);
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
        let (sql, args, skip) = self.with_front(sql, args).await?;
        let result = match skip {
            0 => self.raw().execute(&sql, args).await,
            _ => self.raw().execute_after(skip, &sql, args).await,
        };
        self.health.note(result)
    }

    /// Runs a query and returns its rows.
    pub async fn fetch_all<T: Record>(
        &mut self,
        sql: &str,
        args: Vec<Arg<'_>>,
    ) -> Result<Vec<T>, sqlx::Error> {
        // Statements in front of a query change rows and return none, so the rows are
        // the query's.
        let (sql, args, _) = self.with_front(sql, args).await?;
        let result = self.raw().fetch_all(&sql, args).await;
        self.health.note(result)
    }

    /// Runs a query and returns its first row, if any.
    pub async fn fetch_optional<T: Record>(
        &mut self,
        sql: &str,
        args: Vec<Arg<'_>>,
    ) -> Result<Option<T>, sqlx::Error> {
        let (sql, args, _) = self.with_front(sql, args).await?;
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

    /// Runs `insert` (an `INSERT … ON CONFLICT DO NOTHING` of one row) and then `query` in
    /// one round trip: rows of `inserted` (1 if the insert added its row, else 0) and the
    /// query's columns, one row of NULLs if it found nothing. On SQLite the query follows the
    /// insert in one script and reads `changes()`; on PostgreSQL the insert is a `WITH` of
    /// the query, which therefore does not see the inserted row.
    pub async fn fetch_after_insert<T: Record>(
        &mut self,
        (insert, mut args): Statement<'_>,
        (query, query_args): Statement<'_>,
    ) -> Result<Vec<T>, sqlx::Error> {
        match self.backend() {
            Backend::Sqlite => {
                self.defer(insert, args);
                let sql = format!(
                    "SELECT i.inserted, q.* FROM (SELECT changes() AS inserted) i \
                     LEFT JOIN ({query}) q ON 1 = 1"
                );
                self.fetch_all(&sql, query_args).await
            }
            Backend::Postgres => {
                let sql = format!(
                    "WITH claimed AS ({insert} RETURNING 1) SELECT i.inserted, q.* FROM \
                     (SELECT COUNT(*) AS inserted FROM claimed) i LEFT JOIN ({}) q ON TRUE",
                    shift_params(&query, args.len())
                );
                args.extend(query_args);
                self.fetch_all(&sql, args).await
            }
        }
    }

    /// Inserts `rows` (each the same number of values): on SQLite with
    /// `head VALUES (…), (…) tail`, as many rows a statement as the parameter limit allows; on
    /// PostgreSQL with one statement of one array per column ([`rows_sql`]).
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
        let mut rows: Vec<Vec<Arg<'a>>> = rows.into_iter().collect();
        if self.backend() == Backend::Postgres {
            if let Some(statement) = rows_sql(head, tail, &mut rows) {
                return vec![statement];
            }
        }
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
    /// the driver's connection thread instead of one each; on PostgreSQL one after another.
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
    pub async fn commit_after(self, statements: Vec<Statement<'_>>) -> Result<(), sqlx::Error> {
        self.finish(statements).await
    }

    /// Sends what is deferred and commits a transaction (then lets the next SQLite writer
    /// in); a no-op outside one. A commit that fails leaves the transaction to
    /// be rolled back as if dropped.
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.finish(Vec::new()).await
    }

    /// Rolls a transaction back now, its locks released before this returns (on SQLite, as
    /// when dropped: before the next writer starts).
    pub async fn rollback(mut self) -> Result<(), sqlx::Error> {
        if let Inner::PostgresTx(slot) = &mut self.inner {
            if let Some(tx) = slot.take() {
                tx.rollback().await?;
            }
        }
        Ok(())
    }

    /// Runs `statements`, then commits: on SQLite in one script behind the pending `BEGIN`
    /// and the deferred writes.
    async fn finish(mut self, mut statements: Vec<Statement<'_>>) -> Result<(), sqlx::Error> {
        match &mut self.inner {
            Inner::SqliteTx(slot) => {
                if self.begin_pending && self.deferred.is_empty() && statements.is_empty() {
                    // Nothing was begun, so nothing to commit.
                    self.begin_pending = false;
                    slot.take();
                    return Ok(());
                }
                statements.push(("COMMIT".to_owned(), Vec::new()));
                let (sql, args) = script(statements);
                self.execute(&sql, args).await?;
                if let Inner::SqliteTx(slot) = &mut self.inner {
                    // Committed: back to the pool.
                    slot.take();
                }
            }
            Inner::PostgresTx(_) => {
                let deferred = std::mem::take(&mut self.deferred);
                statements.splice(0..0, deferred);
                self.execute_all(statements).await?;
                let Inner::PostgresTx(slot) = &mut self.inner else {
                    unreachable!("matched above")
                };
                let committed = slot.take().expect("an open transaction").commit().await;
                self.health.note(committed)?;
            }
            Inner::Sqlite(_) | Inner::Postgres(_) => return self.execute_all(statements).await,
        }
        self.health.committed();
        Ok(())
    }
}

/// What a SQLite transaction sends in front of its first statement.
const BEGIN: &str = "BEGIN IMMEDIATE";

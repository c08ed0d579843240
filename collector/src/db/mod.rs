//! The database handle: the one place where SQLite and PostgreSQL differ in code.
//!
//! Everything above this module (storage, reports) is written once, as plain functions
//! that run statements through [`Db`] and [`Conn`]. What differs per backend is
//! confined to here: connecting and migrating, the driver's connection type under each
//! statement, and how writers are serialised ([`Db::begin`] queues SQLite's writers in
//! process; [`Conn::lock_sessions`] takes PostgreSQL advisory locks). Statement text differs
//! only where a caller asks [`Conn::backend`].

mod args;
mod checkpoint;
mod conn;
mod locks;
mod memo;
mod script;

use std::any::Any;
use std::future::Future;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};
use tokio::sync::{Mutex, OwnedMutexGuard};

pub use args::{
    ids_args, in_ids, placeholders, site_id_lists, values_sql, Arg, Record, Statement, ID_CHUNK,
};
pub use conn::Conn;
use conn::Inner;
use memo::Memo;
pub use memo::POLL as CONFIG_POLL;

/// A failure of the database layer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness rule was broken (e.g. a site key already taken).
    #[error("{0} already exists")]
    Conflict(&'static str),
    /// Anything else the driver reported.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    /// Migrations could not be applied.
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl StoreError {
    /// Whether the database is out of reach or cannot take writes for now (down,
    /// restarting, out of disk, busy past the timeout), as opposed to refusing this
    /// statement: the request may succeed when retried later.
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Database(e) => unavailable(e),
            _ => false,
        }
    }

    /// Turns a unique-constraint violation into [`StoreError::Conflict`] naming `what`.
    pub fn conflict(what: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
        move |e| match &e {
            sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(what),
            _ => StoreError::Database(e),
        }
    }
}

/// See [`StoreError::is_unavailable`].
fn unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Protocol(_)
        | sqlx::Error::Tls(_) => true,
        sqlx::Error::Database(db) => {
            let code = db.code().unwrap_or_default();
            // SQLite: BUSY (5), LOCKED (6), NOMEM (7), READONLY (8), IOERR (10 and its
            // extended codes), FULL (13), CANTOPEN (14). PostgreSQL: class 08
            // (connection), 53 (insufficient resources: disk full, out of memory,
            // too many connections), 57P0x (shutting down, cannot connect now).
            let sqlite = code
                .parse::<i32>()
                .is_ok_and(|c| matches!(c & 0xff, 5 | 6 | 7 | 8 | 10 | 13 | 14));
            sqlite || code.starts_with("08") || code.starts_with("53") || code.starts_with("57P0")
        }
        _ => false,
    }
}

/// Whether writes are failing for want of the database (see [`StoreError::is_unavailable`]):
/// set by any statement or commit that fails so, cleared by the next commit. While set,
/// [`Db::ping`] proves recovery with a write, since a full disk still answers reads.
#[derive(Debug, Default)]
pub(crate) struct WriteHealth(AtomicBool);

impl WriteHealth {
    /// Passes `result` on, noting an unavailable database.
    pub(crate) fn note<T>(&self, result: Result<T, sqlx::Error>) -> Result<T, sqlx::Error> {
        if let Err(e) = &result {
            if unavailable(e) {
                self.0.store(true, Ordering::Relaxed);
            }
        }
        result
    }

    pub(crate) fn committed(&self) {
        self.0.store(false, Ordering::Relaxed);
    }

    fn failing(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// How long a request waits for a connection while the database has been failing.
const FAILING_PATIENCE: Duration = Duration::from_millis(250);

/// Which database a [`Db`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The embedded default: one file, one writer at a time.
    Sqlite,
    /// The production backend: concurrent writers.
    Postgres,
}

#[derive(Debug, Clone)]
enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// SQLite has one writer at a time. Writers queue on `turn`, in arrival order, instead of
/// in SQLite's busy handler, which sleeps in growing steps and made the slowest
/// acknowledgements of the inbound load test ten times the median; then they write on the
/// one connection of `pool`. One connection for every write keeps its page cache: SQLite
/// drops a connection's cache whenever another connection wrote since its last
/// transaction, so with writes spread over the read pool every batch read its index pages
/// again (18k `pread64` in 8 s of click load).
#[derive(Debug, Clone)]
struct Writer {
    turn: Arc<Mutex<()>>,
    pool: SqlitePool,
}

/// The writer connection's page cache, in KiB: SQLite's default. It holds the interior and
/// hot leaf pages of the tables and indexes every batch writes into; 32 MiB (set when the
/// writer got its own connection, not measured on its own) was slower on every path:
/// webhooks 1,745 → 2,017/s, visits 7,570 → 8,463/s, clicks 8,505 → 8,999/s with 2 MiB, and
/// the peak RSS 98 → 61 MB (`tests/README.md`, "the writer's page cache").
const WRITER_CACHE_KIB: u32 = 2_000;

/// WAL pages after which a commit checkpoints (SQLite's default is 1,000). A checkpoint
/// copies the WAL into the database and syncs both files, on the committing writer's time:
/// at a batch of visits every few milliseconds, the default made every few batches wait for
/// one. The copying is done in the background ([`checkpoint`]); this bounds the WAL.
const WAL_AUTOCHECKPOINT_PAGES: u32 = 16_000;

/// A pool of connections to one database, with its migrations applied.
#[derive(Debug, Clone)]
pub struct Db {
    pool: Pool,
    /// SQLite's one writer (see [`Writer`]); `None` on PostgreSQL, which takes concurrent
    /// writers.
    writer: Option<Writer>,
    /// Sites and their numbers, kept in memory (see [`Db::remembered`]).
    memo: Arc<Memo>,
    /// Whether writes are failing.
    health: Arc<WriteHealth>,
}

impl Db {
    /// Opens the database named by `url` (`sqlite://…` or `postgres://…`), creating a
    /// SQLite file if needed, and applies its migrations.
    pub async fn connect(url: &str) -> Result<Db, StoreError> {
        if !url.starts_with("sqlite:") && !url.starts_with("postgres") {
            let e =
                format!("unsupported database URL {url:?}: use sqlite://<file> or postgres://…");
            return Err(StoreError::Database(sqlx::Error::Configuration(e.into())));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = PgPoolOptions::new()
                .max_connections(16)
                // A database that is down is answered 503 in seconds, not held for long.
                .acquire_timeout(Duration::from_secs(3))
                .connect(url)
                .await?;
            sqlx::migrate!("../migrations/postgres").run(&pool).await?;
            return Ok(Db::new(Pool::Postgres(pool), None));
        }
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // WAL + NORMAL is durable against application crashes, which is the promise we
            // make when acknowledging a webhook; power loss may drop the last transactions.
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(false);
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options.clone())
            .await?;
        sqlx::migrate!("../migrations/sqlite").run(&pool).await?;
        // Statement journals of multi-row upserts stay in memory instead of spilling to
        // temporary files.
        let write_options = options
            .pragma("cache_size", format!("-{WRITER_CACHE_KIB}"))
            .pragma("temp_store", "MEMORY")
            .pragma("wal_autocheckpoint", WAL_AUTOCHECKPOINT_PAGES.to_string());
        let write_pool = SqlitePoolOptions::new()
            .max_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(write_options)
            .await?;
        let writer = Writer {
            turn: Arc::default(),
            pool: write_pool,
        };
        tokio::spawn(checkpoint::run(pool.clone(), Arc::downgrade(&writer.turn)));
        Ok(Db::new(Pool::Sqlite(pool), Some(writer)))
    }

    /// A handle on a migrated pool; starts watching `config_version`.
    fn new(pool: Pool, writer: Option<Writer>) -> Db {
        let memo = Arc::new(Memo::default());
        tokio::spawn(memo::watch(pool.clone(), Arc::downgrade(&memo)));
        Db {
            pool,
            writer,
            memo,
            health: Arc::default(),
        }
    }

    /// What `load` finds, remembered under `key` until sites or numbers change (on this
    /// collector: at once; on another: within [`CONFIG_POLL`]). Nothing found is not
    /// remembered, so made-up keys cost a read each and no memory. Only for reads of what
    /// the `config_version` triggers watch (sites, numbers, conversion destinations,
    /// outcome rules).
    pub async fn remembered<T, E, F, Fut>(&self, key: &str, load: F) -> Result<Option<Arc<T>>, E>
    where
        T: Any + Send + Sync,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Option<T>, E>>,
    {
        self.memo.read_through(key, load()).await
    }

    /// Forgets what [`Db::remembered`] keeps: call after committing a change to sites or
    /// numbers (other collectors learn of it from `config_version`).
    pub fn config_changed(&self) {
        self.memo.forget();
    }

    /// Which backend this is.
    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// Starts a write transaction; on SQLite it first waits for the previous writer's
    /// commit, then takes the write lock (`BEGIN IMMEDIATE`, sent with the transaction's
    /// first statement). Dropped without [`Conn::commit`], it rolls back.
    pub async fn begin(&self) -> Result<Conn, sqlx::Error> {
        let writer = self.writer_turn().await;
        let inner = self.health.note(self.begin_inner().await)?;
        Ok(Conn::new(
            inner,
            writer,
            self.health.clone(),
            self.memo.clone(),
        ))
    }

    async fn begin_inner(&self) -> Result<Inner, sqlx::Error> {
        Ok(match (&self.pool, &self.writer) {
            (Pool::Sqlite(_), Some(writer)) => {
                Inner::SqliteTx(Some(self.connected(writer.pool.acquire()).await?))
            }
            (Pool::Sqlite(p), None) => Inner::SqliteTx(Some(self.connected(p.acquire()).await?)),
            (Pool::Postgres(p), _) => Inner::PostgresTx(Some(self.connected(p.begin()).await?)),
        })
    }

    /// Waits for a connection; while the database has been failing, for a moment only
    /// ([`FAILING_PATIENCE`]), so a request gets its `503` at once rather than after the
    /// pool's acquire timeout, and the probe of `/health` finds recovery as quickly.
    async fn connected<T>(
        &self,
        connecting: impl Future<Output = Result<T, sqlx::Error>>,
    ) -> Result<T, sqlx::Error> {
        if self.health.failing() {
            tokio::time::timeout(FAILING_PATIENCE, connecting)
                .await
                .unwrap_or(Err(sqlx::Error::PoolTimedOut))
        } else {
            connecting.await
        }
    }

    /// Waits for SQLite's previous writer to finish; the guard lets the next one in when
    /// dropped. Nothing to wait for on PostgreSQL.
    async fn writer_turn(&self) -> Option<OwnedMutexGuard<()>> {
        match &self.writer {
            Some(writer) => Some(writer.turn.clone().lock_owned().await),
            None => None,
        }
    }

    /// A connection for reads, outside any transaction.
    pub async fn read(&self) -> Result<Conn, sqlx::Error> {
        let inner = self.health.note(match &self.pool {
            Pool::Sqlite(p) => self.connected(p.acquire()).await.map(Inner::Sqlite),
            Pool::Postgres(p) => self.connected(p.acquire()).await.map(Inner::Postgres),
        })?;
        Ok(Conn::new(
            inner,
            None,
            self.health.clone(),
            self.memo.clone(),
        ))
    }

    /// Runs one read and returns its rows.
    pub async fn fetch_all<T: Record>(
        &self,
        sql: &str,
        args: Vec<Arg<'_>>,
    ) -> Result<Vec<T>, sqlx::Error> {
        self.read().await?.fetch_all(sql, args).await
    }

    /// Runs one read and returns its row, if any.
    pub async fn fetch_optional<T: Record>(
        &self,
        sql: &str,
        args: Vec<Arg<'_>>,
    ) -> Result<Option<T>, sqlx::Error> {
        self.read().await?.fetch_optional(sql, args).await
    }

    /// Runs one write on its own (autocommit), queued like a transaction on SQLite; the
    /// number of rows it changed.
    pub async fn execute(&self, sql: &str, args: Vec<Arg<'_>>) -> Result<u64, sqlx::Error> {
        let turn = self.writer_turn().await;
        let mut conn = match &self.writer {
            Some(writer) => {
                let conn = self.connected(writer.pool.acquire()).await;
                Conn::new(
                    Inner::Sqlite(self.health.note(conn)?),
                    None,
                    self.health.clone(),
                    self.memo.clone(),
                )
            }
            None => self.read().await?,
        };
        let changed = conn.execute(sql, args).await;
        drop(conn);
        drop(turn);
        changed
    }

    /// The pool's connections: `(open, idle, max)`; open minus idle are in use.
    pub fn pool_state(&self) -> (u32, usize, u32) {
        match &self.pool {
            Pool::Sqlite(p) => (p.size(), p.num_idle(), p.options().get_max_connections()),
            Pool::Postgres(p) => (p.size(), p.num_idle(), p.options().get_max_connections()),
        }
    }

    /// Closes every connection; later statements fail as if the database were down.
    pub async fn close(&self) {
        if let Some(writer) = &self.writer {
            writer.pool.close().await;
        }
        match &self.pool {
            Pool::Sqlite(p) => p.close().await,
            Pool::Postgres(p) => p.close().await,
        }
    }

    /// Checks, within `within`, that the database answers, and while writes have been
    /// failing, that it takes one again.
    pub async fn ping(&self, within: Duration) -> Result<(), StoreError> {
        let ping = async {
            self.fetch_optional::<(i32,)>("SELECT 1", crate::args![])
                .await?;
            if self.health.failing() {
                let mut tx = self.begin().await?;
                let now = crate::domain::now_ms();
                tx.execute(
                    "UPDATE write_probe SET at = $1 WHERE id = 1",
                    crate::args![now],
                )
                .await?;
                tx.commit().await?;
            }
            Ok::<(), sqlx::Error>(())
        };
        match tokio::time::timeout(within, ping).await {
            Ok(answer) => answer.map_err(StoreError::from),
            Err(_) => Err(StoreError::Database(sqlx::Error::PoolTimedOut)),
        }
    }

    /// Refreshes the planner's statistics (after a bulk load).
    pub async fn analyze(&self) -> Result<(), sqlx::Error> {
        self.execute("ANALYZE", crate::args![]).await.map(drop)
    }
}

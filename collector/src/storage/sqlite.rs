//! The embedded default: one SQLite file, WAL mode, migrations applied at start-up.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;

use super::StoreError;

/// SQLite-backed store.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    /// SQLite has one writer at a time. Writers queue here, in arrival order, instead of in
    /// SQLite's busy handler, which sleeps in growing steps and made the slowest
    /// acknowledgements of the inbound load test ten times the median.
    writer: std::sync::Arc<tokio::sync::Mutex<()>>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and migrates it.
    pub async fn connect(url: &str) -> Result<SqliteStore, StoreError> {
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
            .connect_with(options)
            .await?;
        sqlx::migrate!("../migrations/sqlite").run(&pool).await?;
        Ok(SqliteStore {
            pool,
            writer: Default::default(),
        })
    }

    /// Held for the whole of a write transaction.
    async fn write_guard(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        Some(self.writer.lock().await)
    }
}

super::sql::impl_store!(SqliteStore, sqlx::Sqlite);
super::sql::reports::impl_reports!(SqliteStore, sqlx::Sqlite);
super::sql::admin::impl_admin!(SqliteStore, sqlx::Sqlite);

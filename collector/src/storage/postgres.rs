//! Production backend: PostgreSQL, chosen by a `postgres://` database URL.

use std::time::Duration;

use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;

use super::StoreError;

/// PostgreSQL-backed store.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Connects and migrates.
    pub async fn connect(url: &str) -> Result<PgStore, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await?;
        sqlx::migrate!("../migrations/postgres").run(&pool).await?;
        Ok(PgStore { pool })
    }

    /// PostgreSQL takes concurrent writers: no in-process queue.
    async fn write_guard(&self) -> Option<()> {
        None
    }
}

super::sql::impl_store!(PgStore, sqlx::Postgres);
super::sql::reports::impl_reports!(PgStore, sqlx::Postgres);
super::sql::admin::impl_admin!(PgStore, sqlx::Postgres);

//! SQLite's WAL copied back into the database file off the writers' path.
//!
//! A commit that finds the WAL over the autocheckpoint size copies it into the database
//! and syncs both files before its writer answers: under visit load, the batch that did
//! was the slowest of its second by tens of milliseconds. Here a task checkpoints from a
//! read connection instead, every [`EVERY`], `PASSIVE` (it waits for no reader and holds
//! up no writer). The writer's own autocheckpoint stays as the bound on the WAL: under
//! steady load the WAL is never all copied when a writer starts, so it is not restarted,
//! and the writer's checkpoint then copies only what came since this task's last one.

use std::sync::Weak;
use std::time::Duration;

use sqlx::SqlitePool;

/// How often the WAL is checkpointed.
const EVERY: Duration = Duration::from_millis(250);

/// Checkpoints `pool`'s database while `alive` is (the writer's turn: held by every handle
/// on the database).
pub(super) async fn run<T>(pool: SqlitePool, alive: Weak<T>) {
    let mut tick = tokio::time::interval(EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if alive.strong_count() == 0 {
            return;
        }
        // Its row (busy, frames in the WAL, frames copied) says nothing to act on.
        let copied: Result<(i64, i64, i64), sqlx::Error> =
            sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
                .fetch_one(&pool)
                .await;
        if let Err(e) = copied {
            tracing::debug!(error = %e, "background checkpoint failed");
        }
    }
}

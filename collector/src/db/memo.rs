//! Reads of rows that rarely change (sites and their numbers, read by every beacon and
//! webhook; conversion destinations and outcome rules, read by every inbound message), kept
//! in memory until the database says they changed.
//!
//! Triggers move `config_version` whenever those rows change, whoever writes them. A task
//! per [`Db`](super::Db) reads it every [`POLL`] and forgets everything when it has moved,
//! so several collectors on one PostgreSQL see each other's changes within a second; this
//! collector's own changes are forgotten at once ([`Db::config_changed`](super::Db)).

use std::any::Any;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, RwLock, Weak};
use std::time::Duration;

use super::{Conn, Pool};

/// How often each collector reads `config_version`.
pub const POLL: Duration = Duration::from_secs(1);

type Value = Arc<dyn Any + Send + Sync>;

/// The remembered reads, by key.
#[derive(Debug, Default)]
pub(super) struct Memo {
    inner: RwLock<Entries>,
}

#[derive(Debug, Default)]
struct Entries {
    /// Moves on every [`Memo::forget`], so a read that started before it is not kept.
    generation: u64,
    values: HashMap<String, Value>,
}

impl Memo {
    /// The remembered value of `key`, if it is a `T`.
    pub(super) fn get<T: Any + Send + Sync>(&self, key: &str) -> Option<Arc<T>> {
        let entries = self.inner.read().unwrap_or_else(|e| e.into_inner());
        entries.values.get(key)?.clone().downcast().ok()
    }

    /// The generation a read starts in; pass it to [`Memo::put`].
    pub(super) fn generation(&self) -> u64 {
        self.inner
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .generation
    }

    /// Remembers `value`, unless everything was forgotten since `generation`.
    pub(super) fn put(&self, key: &str, generation: u64, value: Value) {
        let mut entries = self.inner.write().unwrap_or_else(|e| e.into_inner());
        if entries.generation == generation {
            entries.values.insert(key.to_owned(), value);
        }
    }

    /// The value remembered under `key`, else what `load` finds, remembered unless it is
    /// nothing or everything was forgotten meanwhile.
    pub(super) async fn read_through<T, E>(
        &self,
        key: &str,
        load: impl Future<Output = Result<Option<T>, E>>,
    ) -> Result<Option<Arc<T>>, E>
    where
        T: Any + Send + Sync,
    {
        if let Some(value) = self.get::<T>(key) {
            return Ok(Some(value));
        }
        let generation = self.generation();
        let Some(value) = load.await?.map(Arc::new) else {
            return Ok(None);
        };
        self.put(key, generation, value.clone());
        Ok(Some(value))
    }

    /// Forgets everything.
    pub(super) fn forget(&self) {
        let mut entries = self.inner.write().unwrap_or_else(|e| e.into_inner());
        entries.generation += 1;
        entries.values.clear();
    }
}

impl Conn {
    /// What `load` reads through this connection, remembered under `key` as
    /// [`Db::remembered`](super::Db::remembered) remembers (an empty list too). Only for
    /// reads of what the `config_version` triggers watch, and only in a transaction that
    /// does not change it: a value read before its commit would be remembered.
    pub async fn remembered<T, E>(
        &mut self,
        key: &str,
        load: impl AsyncFnOnce(&mut Conn) -> Result<T, E>,
    ) -> Result<Arc<T>, E>
    where
        T: Any + Send + Sync,
    {
        let memo = self.memo.clone();
        let loaded = memo.read_through(key, async { load(self).await.map(Some) });
        Ok(loaded.await?.expect("a value was loaded"))
    }
}

/// Reads `config_version` every [`POLL`] and forgets what `memo` holds at its first read and
/// whenever it moves; ends when the `Db` owning `memo` is gone.
pub(super) async fn watch(pool: Pool, memo: Weak<Memo>) {
    let mut seen = None;
    let mut tick = tokio::time::interval(POLL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let Some(memo) = memo.upgrade() else {
            return;
        };
        let sql = "SELECT version FROM config_version WHERE id = 1";
        let version: Result<(i64,), sqlx::Error> = match &pool {
            Pool::Sqlite(p) => sqlx::query_as(sql).fetch_one(p).await,
            Pool::Postgres(p) => sqlx::query_as(sql).fetch_one(p).await,
        };
        match version {
            Ok((v,)) => {
                // The first read too: what was remembered before it (start-up is slow under
                // load) may predate a change it already counts.
                if seen != Some(v) {
                    memo.forget();
                }
                seen = Some(v);
            }
            // Unreadable (the database is down): what is kept may be stale, so forget it.
            Err(e) => {
                tracing::warn!(error = %e, "could not read config_version");
                memo.forget();
                seen = None;
            }
        }
    }
}

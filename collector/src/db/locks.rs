//! PostgreSQL's advisory locks, which serialise the writers that meet on one session (SQLite
//! has one writer at a time and takes none).
//!
//! A transaction that already holds locks and takes more in an order nobody else follows
//! can deadlock with one that takes them in another (a batch of inbound messages, each
//! locking the session it matched, against a batch of visits locking its sessions in key
//! order). Such a transaction only tries its later locks ([`Conn::try_locks`]): a lock held
//! elsewhere fails the statement and marks the transaction [`Conn::contended`], and the
//! caller commits what it has and starts over with the contended work first.

use super::{Backend, Conn};

/// The advisory lock space of sessions' locks, which keeps chatrail's locks apart from other
/// users of advisory locks (the only space left since dialog starts stopped locking their
/// number, which used 7302).
const SESSION_LOCKS: i32 = 7301;

/// Whether a transaction's locks wait or are only tried, and whether one was found held.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct LockMode {
    try_only: bool,
    contended: bool,
}

impl Conn {
    /// From now on, a lock another transaction holds is not waited for: the statement taking
    /// it fails and [`Conn::contended`] says why. For a transaction that holds locks already
    /// and cannot know the order of the ones it takes next.
    pub fn try_locks(&mut self) {
        self.locks.try_only = true;
    }

    /// Whether a lock tried under [`Conn::try_locks`] was held by another transaction.
    pub fn contended(&self) -> bool {
        self.locks.contended
    }

    /// Makes two writers that meet on one session wait for each other: the transaction
    /// adding the session (which refreshes the clicks and dialogs already pointing at it),
    /// and chats claiming it, by its code or as a probable match (which copies the session's
    /// attribution and must see every claim on it). Otherwise each can miss the other's
    /// uncommitted row: the dialog keeps no channel, or two dialogs claim one session.
    /// PostgreSQL takes a transaction-scoped advisory lock per session; SQLite already has
    /// one writer at a time.
    pub async fn lock_sessions(
        &mut self,
        sessions: impl IntoIterator<Item = uuid::Uuid>,
    ) -> Result<(), sqlx::Error> {
        self.advisory_locks(lock_keys(sessions)).await
    }

    /// Takes the transaction-scoped advisory locks `keys` (comma-separated, in the order
    /// given) in [`SESSION_LOCKS`], or under [`Conn::try_locks`] tries them.
    async fn advisory_locks(&mut self, keys: String) -> Result<(), sqlx::Error> {
        if self.backend() == Backend::Sqlite || keys.is_empty() {
            return Ok(());
        }
        if !self.locks.try_only {
            let sql = "SELECT pg_advisory_xact_lock($1, CAST(k AS INTEGER)) \
                       FROM unnest(string_to_array($2, ',')) AS k";
            self.execute(sql, crate::args![SESSION_LOCKS, keys]).await?;
            return Ok(());
        }
        let sql = "SELECT COALESCE(bool_and(pg_try_advisory_xact_lock($1, CAST(k AS INTEGER))), \
                   TRUE) FROM unnest(string_to_array($2, ',')) AS k";
        let (taken,): (bool,) = self
            .fetch_one(sql, crate::args![SESSION_LOCKS, keys])
            .await?;
        if taken {
            return Ok(());
        }
        self.locks.contended = true;
        Err(sqlx::Error::Protocol(
            "an advisory lock is held by another transaction".into(),
        ))
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

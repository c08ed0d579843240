//! Signing in: an account's credentials, and its sessions, stored by the SHA-256 of their
//! cookie's value.

use uuid::Uuid;

use super::{Credentials, Purged};
use crate::args;
use crate::db::{Db, StoreError};
use crate::domain::account::{AccountId, Email};

/// How stale a session's `last_seen_at` may grow before a request writes it again.
const SEEN_EVERY_MS: i64 = 60_000;

pub(super) async fn credentials(db: &Db, email: &Email) -> Result<Option<Credentials>, StoreError> {
    let row: Option<(Uuid, Option<String>)> = db
        .fetch_optional(
            "SELECT account_id, password_hash FROM accounts WHERE email_folded = $1",
            args![email.folded.as_str()],
        )
        .await?;
    Ok(row.map(|(id, password_hash)| Credentials {
        account: AccountId(id),
        password_hash,
    }))
}

pub(super) async fn email(db: &Db, account: AccountId) -> Result<Option<String>, StoreError> {
    let row: Option<(String,)> = db
        .fetch_optional(
            "SELECT email FROM accounts WHERE account_id = $1",
            args![account.0],
        )
        .await?;
    Ok(row.map(|r| r.0))
}

pub(super) async fn start(
    db: &Db,
    session_hash: &str,
    account: AccountId,
    now: i64,
    expires_at: i64,
) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    // The account's expired sessions go as it starts a new one.
    tx.execute(
        "DELETE FROM account_sessions WHERE account_id = $1 AND expires_at <= $2",
        args![account.0, now],
    )
    .await?;
    tx.execute(
        "INSERT INTO account_sessions (session_hash, account_id, created_at, expires_at, \
         last_seen_at) VALUES ($1, $2, $3, $4, $3)",
        args![session_hash, account.0, now, expires_at],
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub(super) async fn account(
    db: &Db,
    session_hash: &str,
    now: i64,
) -> Result<Option<AccountId>, StoreError> {
    let row: Option<(Uuid, i64, i64)> = db
        .fetch_optional(
            "SELECT account_id, expires_at, last_seen_at FROM account_sessions \
             WHERE session_hash = $1",
            args![session_hash],
        )
        .await?;
    let Some((id, expires_at, last_seen_at)) = row else {
        return Ok(None);
    };
    if expires_at <= now {
        end(db, session_hash).await?;
        return Ok(None);
    }
    if now - last_seen_at > SEEN_EVERY_MS {
        db.execute(
            "UPDATE account_sessions SET last_seen_at = $1 WHERE session_hash = $2",
            args![now, session_hash],
        )
        .await?;
    }
    Ok(Some(AccountId(id)))
}

pub(super) async fn end(db: &Db, session_hash: &str) -> Result<(), StoreError> {
    db.execute(
        "DELETE FROM account_sessions WHERE session_hash = $1",
        args![session_hash],
    )
    .await?;
    Ok(())
}

pub(super) async fn end_all(db: &Db, account: AccountId) -> Result<u64, StoreError> {
    Ok(db
        .execute(
            "DELETE FROM account_sessions WHERE account_id = $1",
            args![account.0],
        )
        .await?)
}

pub(super) async fn purge_expired(db: &Db, now: i64) -> Result<Purged, StoreError> {
    let sessions = db
        .execute(
            "DELETE FROM account_sessions WHERE expires_at <= $1",
            args![now],
        )
        .await?;
    let invites = db
        .execute(
            "DELETE FROM account_invites WHERE expires_at <= $1",
            args![now],
        )
        .await?;
    Ok(Purged { sessions, invites })
}

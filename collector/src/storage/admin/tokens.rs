//! API tokens, stored by their hash only.

use uuid::Uuid;

use super::{Revoke, TokenView};
use crate::args;
use crate::db::{Db, StoreError};
use crate::domain::now_ms;
use crate::domain::site::SiteId;
use crate::domain::token::{Role, TokenGrant};

/// Stores a token by its hash.
pub async fn create(
    db: &Db,
    site_id: SiteId,
    token_hash: &str,
    role: Role,
    name: &str,
) -> Result<(), StoreError> {
    db.execute(
        "INSERT INTO api_tokens (site_id, token_id, token_hash, role, name, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
        args![
            site_id.0,
            Uuid::now_v7(),
            token_hash,
            role.as_str(),
            name,
            now_ms()
        ],
    )
    .await
    .map_err(StoreError::conflict("token"))?;
    Ok(())
}

/// The site and role a token hash grants.
pub async fn grant(db: &Db, token_hash: &str) -> Result<Option<TokenGrant>, StoreError> {
    let row: Option<(Uuid, String)> = db
        .fetch_optional(
            "SELECT site_id, role FROM api_tokens WHERE token_hash = $1",
            args![token_hash],
        )
        .await?;
    Ok(row.and_then(|(site_id, role)| {
        Some(TokenGrant {
            site_id: SiteId(site_id),
            role: Role::parse(&role)?,
        })
    }))
}

/// The site's tokens, oldest first.
pub async fn list(db: &Db, site_id: SiteId) -> Result<Vec<TokenView>, StoreError> {
    Ok(db
        .fetch_all(
            "SELECT token_id, name, role, created_at FROM api_tokens \
             WHERE site_id = $1 ORDER BY created_at, token_id",
            args![site_id.0],
        )
        .await?)
}

/// Revokes one of the site's tokens, unless it is the site's last admin token.
pub async fn revoke(db: &Db, site_id: SiteId, token_id: Uuid) -> Result<Revoke, StoreError> {
    let mut tx = db.begin().await?;
    let role: Option<(String,)> = tx
        .fetch_optional(
            "SELECT role FROM api_tokens WHERE site_id = $1 AND token_id = $2",
            args![site_id.0, token_id],
        )
        .await?;
    let Some((role,)) = role else {
        return Ok(Revoke::NoToken);
    };
    if role == Role::Admin.as_str() {
        let (admins,): (i64,) = tx
            .fetch_one(
                "SELECT COUNT(*) FROM api_tokens WHERE site_id = $1 AND role = $2",
                args![site_id.0, &role],
            )
            .await?;
        if admins <= 1 {
            return Ok(Revoke::LastAdmin);
        }
    }
    tx.execute(
        "DELETE FROM api_tokens WHERE site_id = $1 AND token_id = $2",
        args![site_id.0, token_id],
    )
    .await?;
    tx.commit().await?;
    Ok(Revoke::Revoked)
}

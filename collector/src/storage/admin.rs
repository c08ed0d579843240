//! Site administration from the dashboard: settings and API tokens.

use async_trait::async_trait;
use serde::Serialize;
use uuid::Uuid;

use super::records::rfc3339;
use super::StoreError;
use crate::domain::site::{NewSite, SiteId};

/// An API token as listed to admins; the token itself is never stored, only its hash.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct TokenView {
    /// Token id (for revoking).
    pub token_id: Uuid,
    /// What the admin called it.
    pub name: String,
    /// `operator`, `analyst` or `admin`.
    pub role: String,
    /// When it was created.
    #[serde(serialize_with = "rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: i64,
}

/// What revoking a token did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revoke {
    /// Gone.
    Revoked,
    /// The site has no such token.
    NoToken,
    /// It is the site's last admin token; revoking it would lock the site's admins out.
    LastAdmin,
}

/// Settings and tokens; every [`Store`](super::Store) implements it.
#[async_trait]
pub trait SiteAdmin: Send + Sync {
    /// Replaces a site's settings (name, domains, numbers, template, channel rules, bots,
    /// pages) with `settings`; its key and provider secrets stay. `false` if there is no site.
    async fn update_site(&self, site_id: SiteId, settings: &NewSite) -> Result<bool, StoreError>;
    /// The site's tokens, oldest first.
    async fn list_tokens(&self, site_id: SiteId) -> Result<Vec<TokenView>, StoreError>;
    /// Revokes one of the site's tokens.
    async fn revoke_token(&self, site_id: SiteId, token_id: Uuid) -> Result<Revoke, StoreError>;
}

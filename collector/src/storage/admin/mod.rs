//! Sites and API tokens: created from the CLI, looked up by every request (a beacon's site
//! key, a webhook's secret, a token's hash), changed from Settings.

mod sites;
mod tokens;

use std::sync::Arc;

use async_trait::async_trait;
use serde::Serialize;
use uuid::Uuid;

use super::records::rfc3339;
use crate::db::{Db, StoreError};
use crate::domain::site::{NewSite, Site, SiteId};
use crate::domain::token::{Role, TokenGrant};

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

/// Sites and tokens.
#[async_trait]
pub trait Admin: Send + Sync {
    /// Registers a site with its tracked numbers.
    async fn create_site(&self, site: &NewSite) -> Result<Site, StoreError>;
    /// Looks a site up by its public key (the `data-site` of the script tag); kept in memory.
    async fn site_by_key(&self, key: &str) -> Result<Option<Arc<Site>>, StoreError>;
    /// Looks a site up by its internal id (an API token's site).
    async fn site_by_id(&self, site_id: SiteId) -> Result<Option<Site>, StoreError>;
    /// Every site that accepts WhatsApp Cloud API webhooks (kept in memory).
    async fn whatsapp_sites(&self) -> Result<Arc<Vec<Site>>, StoreError>;
    /// Every site that accepts Twilio webhooks (kept in memory).
    async fn twilio_sites(&self) -> Result<Arc<Vec<Site>>, StoreError>;
    /// Replaces a site's settings (name, domains, numbers, template, channel rules, bots,
    /// pages) with `settings`; its key and provider secrets stay. `false` if there is no site.
    async fn update_site(&self, site_id: SiteId, settings: &NewSite) -> Result<bool, StoreError>;
    /// Stores an API token by its hash.
    async fn create_token(
        &self,
        site_id: SiteId,
        token_hash: &str,
        role: Role,
        name: &str,
    ) -> Result<(), StoreError>;
    /// Resolves a token hash to the site and role it grants.
    async fn token_grant(&self, token_hash: &str) -> Result<Option<TokenGrant>, StoreError>;
    /// The site's tokens, oldest first.
    async fn list_tokens(&self, site_id: SiteId) -> Result<Vec<TokenView>, StoreError>;
    /// Revokes one of the site's tokens.
    async fn revoke_token(&self, site_id: SiteId, token_id: Uuid) -> Result<Revoke, StoreError>;
}

#[async_trait]
impl Admin for Db {
    async fn create_site(&self, site: &NewSite) -> Result<Site, StoreError> {
        let created = sites::create(self, site).await;
        self.config_changed();
        created
    }

    async fn site_by_key(&self, key: &str) -> Result<Option<Arc<Site>>, StoreError> {
        self.remembered(&format!("site_key {key}"), || {
            sites::by(self, "site_key", key.into())
        })
        .await
    }

    async fn site_by_id(&self, site_id: SiteId) -> Result<Option<Site>, StoreError> {
        sites::by(self, "site_id", site_id.0.into()).await
    }

    async fn whatsapp_sites(&self) -> Result<Arc<Vec<Site>>, StoreError> {
        sites::with_secret(self, "wa_app_secret").await
    }

    async fn twilio_sites(&self) -> Result<Arc<Vec<Site>>, StoreError> {
        sites::with_secret(self, "twilio_auth_token").await
    }

    async fn update_site(&self, site_id: SiteId, settings: &NewSite) -> Result<bool, StoreError> {
        let updated = sites::update(self, site_id, settings).await;
        self.config_changed();
        updated
    }

    async fn create_token(
        &self,
        site_id: SiteId,
        token_hash: &str,
        role: Role,
        name: &str,
    ) -> Result<(), StoreError> {
        tokens::create(self, site_id, token_hash, role, name).await
    }

    async fn token_grant(&self, token_hash: &str) -> Result<Option<TokenGrant>, StoreError> {
        tokens::grant(self, token_hash).await
    }

    async fn list_tokens(&self, site_id: SiteId) -> Result<Vec<TokenView>, StoreError> {
        tokens::list(self, site_id).await
    }

    async fn revoke_token(&self, site_id: SiteId, token_id: Uuid) -> Result<Revoke, StoreError> {
        tokens::revoke(self, site_id, token_id).await
    }
}

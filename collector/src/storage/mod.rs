//! Persistence: what the collector needs from a database, one implementation per backend.
//!
//! SQLite (the embedded default) and PostgreSQL share one SQL dialect subset, so the queries
//! live once in [`sql`] and are instantiated for both pools; only connecting and migrating
//! differ. Every table carries `site_id` in its primary key so the schema can be distributed
//! by site.

mod admin;
mod postgres;
mod records;
mod reports;
pub mod rollups;
mod sql;
mod sqlite;

use std::sync::Arc;

use async_trait::async_trait;
use uuid::Uuid;

use crate::domain::inbound::{IdentityChange, InboundMessage};
use crate::domain::site::{NewSite, Site, SiteId};
use crate::domain::status::StatusUpdate;
use crate::domain::tag::Tag;
use crate::domain::token::{Role, TokenGrant};
use crate::domain::visit::{Click, Visit};
use crate::matching::DialogPolicy;
pub use admin::{Revoke, SiteAdmin, TokenView};
pub use records::{
    ContactView, DialogCursor, DialogFilters, DialogListQuery, DialogSummary, HistoryEntry,
    IdentityOutcome, IngestOutcome, MatchView, ReferralView, SessionView, SourceCard, StatusView,
    TagChange,
};
pub use reports::{
    CountQuery, CountRow, Fact, Key, ReportFilters, Reports, SyntheticBatch, SyntheticClick,
    SyntheticContact, SyntheticDialog, SyntheticSession,
};

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

/// Beacon-derived records written in batches by the ingest writer.
#[derive(Debug, Clone)]
pub enum IngestEvent {
    /// A page view, which opens or extends a session.
    Visit(Box<Visit>),
    /// A click on a tracked chat link.
    Click(Box<Click>),
}

/// Everything the collector reads and writes.
#[async_trait]
pub trait Store: Reports + SiteAdmin + Send + Sync + std::fmt::Debug {
    /// Registers a site with its tracked numbers.
    async fn create_site(&self, site: &NewSite) -> Result<Site, StoreError>;
    /// Looks a site up by its public key (the `data-site` of the script tag).
    async fn site_by_key(&self, key: &str) -> Result<Option<Site>, StoreError>;
    /// Looks a site up by its internal id (an API token's site).
    async fn site_by_id(&self, site_id: SiteId) -> Result<Option<Site>, StoreError>;
    /// Every site that accepts WhatsApp Cloud API webhooks.
    async fn whatsapp_sites(&self) -> Result<Vec<Site>, StoreError>;
    /// Every site that accepts Twilio webhooks.
    async fn twilio_sites(&self) -> Result<Vec<Site>, StoreError>;
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
    /// Writes a batch of visits and clicks in one transaction.
    async fn write_batch(&self, events: &[IngestEvent]) -> Result<(), StoreError>;
    /// Stores one inbound message, matching it to a session and a dialog, atomically.
    /// A provider message id seen before yields [`IngestOutcome::Duplicate`].
    async fn ingest_message(
        &self,
        message: &InboundMessage,
        policy: &DialogPolicy,
    ) -> Result<IngestOutcome, StoreError>;
    /// Records a delivery status; a status never replaces a later one in the forward order.
    async fn record_status(&self, status: &StatusUpdate) -> Result<(), StoreError>;
    /// The delivery status of a message the business sent.
    async fn message_status(
        &self,
        site_id: SiteId,
        provider: &str,
        provider_message_id: &str,
    ) -> Result<Option<StatusView>, StoreError>;
    /// Moves a contact to its new phone or user id, once per system message.
    async fn change_identity(&self, change: &IdentityChange)
        -> Result<IdentityOutcome, StoreError>;
    /// Dialogs of a site, newest first.
    async fn list_dialogs(
        &self,
        site_id: SiteId,
        query: &DialogListQuery,
    ) -> Result<Vec<DialogSummary>, StoreError>;
    /// The source card of one dialog of a site.
    async fn source_card(
        &self,
        site_id: SiteId,
        dialog_id: Uuid,
    ) -> Result<Option<SourceCard>, StoreError>;
    /// The tags of one dialog of a site (`None` if there is no such dialog).
    async fn dialog_tags(
        &self,
        site_id: SiteId,
        dialog_id: Uuid,
    ) -> Result<Option<Vec<String>>, StoreError>;
    /// Adds a tag to a dialog of a site (adding it twice is not an error).
    async fn add_tag(
        &self,
        site_id: SiteId,
        dialog_id: Uuid,
        tag: &Tag,
    ) -> Result<TagChange, StoreError>;
    /// Removes a tag from a dialog of a site (removing an absent tag is not an error).
    async fn remove_tag(
        &self,
        site_id: SiteId,
        dialog_id: Uuid,
        tag: &Tag,
    ) -> Result<TagChange, StoreError>;
}

/// The store shared by handlers and background tasks.
pub type SharedStore = Arc<dyn Store>;

/// Opens the database named by `url` (`sqlite://…` or `postgres://…`) and applies migrations.
pub async fn connect(url: &str) -> anyhow::Result<SharedStore> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(postgres::PgStore::connect(url).await?))
    } else if url.starts_with("sqlite:") {
        Ok(Arc::new(sqlite::SqliteStore::connect(url).await?))
    } else {
        anyhow::bail!("unsupported database URL {url:?}: use sqlite://<file> or postgres://…")
    }
}

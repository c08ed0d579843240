//! Persistence by concern: what the collector reads and writes, written once as plain
//! functions over [`Db`](crate::db::Db), which runs them on SQLite or PostgreSQL.
//!
//! - [`ingest`]: visits and clicks from beacons, in batches.
//! - [`inbound`]: chat messages matched to sessions and dialogs, statuses, identity changes.
//! - [`dialogs`]: the dialogs list, source cards, tags.
//! - [`admin`]: sites and API tokens.
//! - [`accounts`]: people signing in to the dashboard, their roles, sessions and invites.
//! - [`conversions`]: destinations, the outbox of conversion events and their deliveries.
//! - [`first_steps`]: what a fresh site has seen yet.
//! - [`privacy`]: erasing a contact, retention.
//! - [`catch_up`]: rows from earlier versions given what this one derives, at start-up.
//!
//! Reports read through [`Reports`](crate::reports::store::Reports), which lives with the
//! reports. Every table of a site's data carries `site_id` in its primary key, and every
//! statement is keyed by it, so one site never sees another's data and the schema can be
//! distributed by site; only [`accounts`], whose people may belong to several sites, is not.

pub mod accounts;
mod admin;
mod catch_up;
pub mod conversions;
pub mod dialogs;
mod first_steps;
mod inbound;
mod ingest;
mod live;
mod privacy;
mod records;

use std::sync::Arc;

pub use crate::db::{Db, StoreError};
use crate::reports::store::Reports;
pub use accounts::Accounts;
pub use admin::{Admin, Revoke, TokenView};
pub use catch_up::catch_up;
pub use conversions::Conversions;
pub use dialogs::Dialogs;
pub use first_steps::{FirstSteps, FirstStepsStore};
pub use inbound::{
    contact_and_dialogs_sql, first_reply_sql, refresh_first_replies, Inbound, FIND_CONTACT,
    NEWEST_UNCLAIMED_CLICKS,
};
pub use ingest::{Ingest, IngestEvent};
pub use live::{LiveMessage, LiveStore};
pub use privacy::{spawn_retention, Erased, Expired, Privacy, Retention, MAX_RETENTION_DAYS};
pub use records::{
    fold, ContactView, DialogCursor, DialogFilters, DialogListQuery, DialogSummary, HistoryEntry,
    IdentityOutcome, IngestOutcome, MatchView, ReferralView, SessionView, SourceCard, StageFilter,
    StatusView, TagChange,
};

/// Everything the collector reads and writes, by concern.
#[async_trait::async_trait]
pub trait Store:
    Ingest
    + Inbound
    + Dialogs
    + Admin
    + Accounts
    + Reports
    + FirstStepsStore
    + LiveStore
    + Privacy
    + Conversions
    + std::fmt::Debug
{
    /// Checks that the database answers within `within` (for `/health`).
    async fn ping(&self, within: std::time::Duration) -> Result<(), StoreError>;
}

#[async_trait::async_trait]
impl Store for Db {
    async fn ping(&self, within: std::time::Duration) -> Result<(), StoreError> {
        Db::ping(self, within).await
    }
}

/// The store shared by handlers and background tasks.
pub type SharedStore = Arc<dyn Store>;

/// Opens the database named by `url` (`sqlite://…` or `postgres://…`) and applies migrations.
pub async fn connect(url: &str) -> Result<SharedStore, StoreError> {
    let db = Db::connect(url).await?;
    catch_up(&db).await?;
    Ok(Arc::new(db))
}

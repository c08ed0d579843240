//! Conversions: each site's destinations, the outbox of events and their deliveries.
//!
//! An event is written by [`record`] in the transaction of the change that causes it (a
//! dialog started or matched, an outcome set), with one `pending` delivery per enabled
//! destination that takes it, so a change committed is an event that will be sent and a
//! change rolled back is none. Senders (`crate::conversions::sender`) claim due
//! deliveries with a lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so several collectors
//! never take the same one; SQLite has one writer), send, and settle each.

use std::collections::BTreeMap;

use async_trait::async_trait;
use uuid::Uuid;

mod destinations;
mod export;
mod outbox;

pub use export::MAX_ROWS as MAX_EXPORT_ROWS;
pub use outbox::record;

use crate::db::{Db, StoreError};
use crate::domain::conversion::{Destination, DestinationKind, DestinationPatch, Event};
use crate::domain::site::SiteId;

/// A destination as the API shows it: never its secret.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct DestinationView {
    /// Its id.
    pub destination_id: Uuid,
    /// `webhook`, `meta`, `ga4`, `google_ads` or `yandex_metrica`.
    pub kind: DestinationKind,
    /// Its name.
    pub name: String,
    /// Where requests go (the platform's base URL unless overridden; the webhook's URL).
    pub endpoint: String,
    /// Ids the platform needs.
    pub settings: BTreeMap<String, String>,
    /// Trigger → the event's name there.
    pub events: BTreeMap<String, String>,
    /// Whether events are sent.
    pub enabled: bool,
    /// Deliveries by state (`pending`, `sent`, `failed`, `expired`, `dropped`).
    pub deliveries: BTreeMap<String, i64>,
}

/// How an edit of a destination went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edited {
    /// Stored.
    Done,
    /// The site has no such destination.
    NotFound,
    /// The destination it would make is refused, and why.
    Refused(String),
}

/// One delivery in the log.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct DeliveryView {
    /// The event's id, which the platform deduplicates on.
    pub event_id: Uuid,
    /// `dialog.started`, `dialog.matched`, `outcome.changed` or `test`.
    pub event: String,
    /// The dialog.
    pub dialog_id: Uuid,
    /// For outcome changes, the stage reached.
    pub stage: Option<String>,
    /// `pending` (to be sent, or retrying), `sent`, `failed` (refused), `expired` (past the
    /// platform's window) or `dropped` (nothing to send: see `answer`).
    pub state: String,
    /// Requests made.
    pub attempts: i64,
    /// When the event happened (RFC 3339).
    pub occurred_at: String,
    /// When the next attempt is due, while pending (RFC 3339).
    pub next_at: Option<String>,
    /// When it was settled (RFC 3339).
    pub settled_at: Option<String>,
    /// The platform's last HTTP status.
    pub status: Option<i64>,
    /// The platform's last answer (its first 500 characters), or why nothing was sent.
    pub answer: Option<String>,
}

/// A delivery a sender holds until it settles it (or its lease ends).
#[derive(Debug, Clone)]
pub struct Claimed {
    /// Where to.
    pub destination: Destination,
    /// What.
    pub event: Event,
    /// Requests made before.
    pub attempts: i64,
}

/// How a delivery ended, or when to try again.
#[derive(Debug, Clone)]
pub enum Settled {
    /// The platform took it (2xx).
    Sent { status: i64, answer: String },
    /// The platform refused it for good (4xx but 408 and 429).
    Failed { status: i64, answer: String },
    /// Not now (network error, 5xx, 408, 429): again at `next_at`.
    Retry {
        status: Option<i64>,
        answer: String,
        next_at: i64,
    },
    /// Past the platform's window: not sent, and why.
    Expired { answer: String },
    /// Nothing to send, and why (no click id, no consent, no dialog).
    Dropped { answer: String },
}

/// What an offline import file lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExportEvent {
    /// Dialogs that started.
    Started,
    /// Dialogs that reached this stage of the site's (as stored), with the value a won
    /// one has.
    Stage(String),
}

/// One conversion of an offline import file.
#[derive(Debug, Clone)]
pub struct ExportRow {
    /// The dialog.
    pub dialog_id: Uuid,
    /// When it started or reached the stage, epoch ms.
    pub at: i64,
    /// Its value in thousandths, for a won dialog.
    pub value_milli: Option<i64>,
    /// Its currency.
    pub currency: Option<String>,
    /// The session's click ids (`gclid`, `yclid` …).
    pub click_ids: BTreeMap<String, String>,
    /// The visitor's Yandex Metrica ClientID.
    pub ym_client_id: Option<String>,
}

/// The outbox and destinations.
#[async_trait]
pub trait Conversions: Send + Sync {
    /// The site's destinations.
    async fn destinations(&self, site_id: SiteId) -> Result<Vec<DestinationView>, StoreError>;
    /// Adds a destination.
    async fn add_destination(&self, d: &Destination) -> Result<(), StoreError>;
    /// Changes a destination (checked as a new one is), in one transaction.
    async fn update_destination(
        &self,
        site_id: SiteId,
        id: Uuid,
        patch: DestinationPatch,
    ) -> Result<Edited, StoreError>;
    /// Removes a destination and its deliveries; false if the site has no such destination.
    async fn remove_destination(&self, site_id: SiteId, id: Uuid) -> Result<bool, StoreError>;
    /// A destination's deliveries, newest first; `None` if the site has no such destination.
    async fn deliveries(
        &self,
        site_id: SiteId,
        id: Uuid,
        limit: i64,
    ) -> Result<Option<Vec<DeliveryView>>, StoreError>;
    /// Makes an unsent delivery due now; false if there is no such delivery, or it was sent.
    async fn retry_delivery(
        &self,
        site_id: SiteId,
        id: Uuid,
        event_id: Uuid,
    ) -> Result<bool, StoreError>;
    /// Queues a test event for one destination (on the site's newest dialog, if any); its
    /// id, `None` if the site has no such destination.
    async fn send_test(&self, site_id: SiteId, id: Uuid) -> Result<Option<Uuid>, StoreError>;
    /// Takes up to `limit` due deliveries for `lease_ms`.
    async fn claim_deliveries(&self, lease_ms: i64, limit: i64)
        -> Result<Vec<Claimed>, StoreError>;
    /// Records how a claimed delivery went.
    async fn settle_delivery(&self, c: &Claimed, how: Settled) -> Result<(), StoreError>;
    /// The conversions of `[from, to)` (epoch ms) for an offline import file, oldest first,
    /// at most [`MAX_EXPORT_ROWS`].
    async fn export_rows(
        &self,
        site_id: SiteId,
        what: &ExportEvent,
        bounds: (i64, i64),
    ) -> Result<Vec<ExportRow>, StoreError>;
    /// Deliveries of every site by state (for `/metrics`).
    async fn delivery_counts(&self) -> Result<Vec<(String, i64)>, StoreError>;
}

#[async_trait]
impl Conversions for Db {
    async fn destinations(&self, site_id: SiteId) -> Result<Vec<DestinationView>, StoreError> {
        destinations::destinations(self, site_id).await
    }

    async fn add_destination(&self, d: &Destination) -> Result<(), StoreError> {
        destinations::add_destination(self, d).await
    }

    async fn update_destination(
        &self,
        site_id: SiteId,
        id: Uuid,
        patch: DestinationPatch,
    ) -> Result<Edited, StoreError> {
        destinations::update_destination(self, site_id, id, patch).await
    }

    async fn remove_destination(&self, site_id: SiteId, id: Uuid) -> Result<bool, StoreError> {
        destinations::remove_destination(self, site_id, id).await
    }

    async fn deliveries(
        &self,
        site_id: SiteId,
        id: Uuid,
        limit: i64,
    ) -> Result<Option<Vec<DeliveryView>>, StoreError> {
        destinations::deliveries(self, site_id, id, limit).await
    }

    async fn retry_delivery(
        &self,
        site_id: SiteId,
        id: Uuid,
        event_id: Uuid,
    ) -> Result<bool, StoreError> {
        destinations::retry_delivery(self, site_id, id, event_id).await
    }

    async fn send_test(&self, site_id: SiteId, id: Uuid) -> Result<Option<Uuid>, StoreError> {
        outbox::send_test(self, site_id, id).await
    }

    async fn claim_deliveries(
        &self,
        lease_ms: i64,
        limit: i64,
    ) -> Result<Vec<Claimed>, StoreError> {
        outbox::claim_deliveries(self, lease_ms, limit).await
    }

    async fn settle_delivery(&self, c: &Claimed, how: Settled) -> Result<(), StoreError> {
        outbox::settle_delivery(self, c, how).await
    }

    async fn export_rows(
        &self,
        site_id: SiteId,
        what: &ExportEvent,
        bounds: (i64, i64),
    ) -> Result<Vec<ExportRow>, StoreError> {
        export::export_rows(self, site_id, what, bounds).await
    }

    async fn delivery_counts(&self) -> Result<Vec<(String, i64)>, StoreError> {
        outbox::delivery_counts(self).await
    }
}

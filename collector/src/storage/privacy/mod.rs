//! Privacy: erasing one contact's data on request, and deleting what a site keeps no longer
//! than its retention allows. Both keep the report rollups right: an erasure counts the rows
//! it removes out of them (the erased contact's dialogs stay counted, anonymous); retention
//! leaves them alone, so reports over expired days still answer from them
//! ([`crate::reports::retained`]). What is stored and for how long: `deploy/PRIVACY.md`.

mod erase;
mod retention;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::db::{site_id_lists, Conn, Db, StoreError};
use crate::domain::site::SiteId;

pub use retention::spawn_retention;

/// What one erasure removed or made anonymous; also what `erasures` records of it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Erased {
    /// Its id in the site's erasure log.
    pub erasure_id: Uuid,
    /// Contacts made anonymous (phone, user id, name and username removed).
    pub contacts: i64,
    /// Their dialogs: kept as anonymous counts, without first message, session or click.
    pub dialogs: i64,
    /// Messages deleted: theirs, and system messages naming their number.
    pub messages: i64,
    /// Delivery statuses of messages sent to their number, deleted.
    pub statuses: i64,
    /// Sessions (visits) of their visitors, deleted with their pageviews.
    pub sessions: i64,
    /// Clicks of those sessions, deleted.
    pub clicks: i64,
    /// Visitor records deleted.
    pub visitors: i64,
}

/// A site's retention: days its visits and clicks, and its dialogs and messages, are kept
/// (`None`: for ever).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Retention {
    /// Days visits (sessions, pageviews, visitors) and clicks are kept; a visit or click a
    /// kept dialog came from stays with the dialog.
    pub visits_days: Option<u32>,
    /// Days dialogs, their messages, delivery statuses and tags are kept.
    pub dialogs_days: Option<u32>,
}

/// Longest retention that can be set: about 100 years.
pub const MAX_RETENTION_DAYS: u32 = 36_500;

impl Retention {
    /// Checks the bounds (1 to [`MAX_RETENTION_DAYS`] days); the error names the field.
    pub fn validate(&self) -> Result<(), String> {
        for (name, days) in [
            ("visits_days", self.visits_days),
            ("dialogs_days", self.dialogs_days),
        ] {
            if let Some(d) = days {
                if !(1..=MAX_RETENTION_DAYS).contains(&d) {
                    return Err(format!(
                        "{name} must be 1-{MAX_RETENTION_DAYS} days or null, got {d}"
                    ));
                }
            }
        }
        Ok(())
    }
}

/// What one retention run deleted from a site.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Expired {
    /// Sessions deleted (with their pageviews).
    pub sessions: u64,
    /// Clicks deleted.
    pub clicks: u64,
    /// Visitor records deleted.
    pub visitors: u64,
    /// Dialogs deleted (with their tags).
    pub dialogs: u64,
    /// Messages deleted.
    pub messages: u64,
    /// Delivery statuses deleted.
    pub statuses: u64,
    /// Contacts without a dialog left, deleted.
    pub contacts: u64,
}

/// Erasure and retention.
#[async_trait]
pub trait Privacy: Send + Sync {
    /// Erases the contact(s) of `site_id` with phone `phone` (digits), or provider user id
    /// `user_id`, and everything that tells who they are; logs it as requested by `by`.
    async fn erase_contact(
        &self,
        site_id: SiteId,
        phone: Option<&str>,
        user_id: Option<&str>,
        by: &str,
    ) -> Result<Erased, StoreError>;
    /// The site's retention.
    async fn retention(&self, site_id: SiteId) -> Result<Retention, StoreError>;
    /// Sets the site's retention (validated by the caller); `false` if there is no site.
    async fn set_retention(&self, site_id: SiteId, r: &Retention) -> Result<bool, StoreError>;
    /// Deletes the site's rows older than its retention allows, as of `now_ms`.
    async fn expire(&self, site_id: SiteId, now_ms: i64) -> Result<Expired, StoreError>;
}

#[async_trait]
impl Privacy for Db {
    async fn erase_contact(
        &self,
        site_id: SiteId,
        phone: Option<&str>,
        user_id: Option<&str>,
        by: &str,
    ) -> Result<Erased, StoreError> {
        erase::erase(self, site_id, phone, user_id, by).await
    }

    async fn retention(&self, site_id: SiteId) -> Result<Retention, StoreError> {
        retention::get(self, site_id).await
    }

    async fn set_retention(&self, site_id: SiteId, r: &Retention) -> Result<bool, StoreError> {
        retention::set(self, site_id, r).await
    }

    async fn expire(&self, site_id: SiteId, now_ms: i64) -> Result<Expired, StoreError> {
        retention::expire(self, site_id, now_ms).await
    }
}

/// Runs `head` (ending in the id column) matched against each list of `ids`
/// ([`site_id_lists`]), `$1` being the site; the rows it changed.
async fn in_chunks(
    conn: &mut Conn,
    head: &str,
    site: Uuid,
    ids: &[Uuid],
) -> Result<u64, sqlx::Error> {
    let mut n = 0;
    for (list, args) in site_id_lists(conn.backend(), site, ids) {
        n += conn.execute(&format!("{head}{list}"), args).await?;
    }
    Ok(n)
}

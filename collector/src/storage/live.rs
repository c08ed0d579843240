//! What the live stream (`GET /api/v1/live`) polls: the site's messages received after a
//! time, read per provider from `messages_newest_by_provider (site_id, provider,
//! received_at)`, so every collector on the database sees every other's writes.

use async_trait::async_trait;
use uuid::Uuid;

use crate::args;
use crate::db::{Db, StoreError};
use crate::domain::provider::Provider;
use crate::domain::site::SiteId;

/// A message of a dialog, as the stream tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveMessage {
    /// Its provider and the provider's id: with the site, the message's key.
    pub key: (Provider, String),
    /// The dialog it belongs to.
    pub dialog_id: Uuid,
    /// When it was stored, epoch ms.
    pub received_at: i64,
    /// Whether no message of the dialog was received before it: it started the dialog.
    pub started: bool,
}

/// Reading what arrived.
#[async_trait]
pub trait LiveStore: Send + Sync {
    /// The site's messages with a dialog received after `since` (epoch ms), oldest first, at
    /// most 100 per provider.
    async fn messages_since(
        &self,
        site_id: SiteId,
        since: i64,
    ) -> Result<Vec<LiveMessage>, StoreError>;
}

#[async_trait]
impl LiveStore for Db {
    async fn messages_since(
        &self,
        site_id: SiteId,
        since: i64,
    ) -> Result<Vec<LiveMessage>, StoreError> {
        let mut conn = self.read().await?;
        let mut out = Vec::new();
        for provider in Provider::ALL {
            let rows: Vec<(String, Uuid, i64, i64)> = conn
                .fetch_all(
                    "SELECT m.provider_message_id, m.dialog_id, m.received_at, \
                     (SELECT COUNT(*) FROM messages e WHERE e.site_id = m.site_id \
                      AND e.dialog_id = m.dialog_id AND e.received_at < m.received_at) \
                     FROM messages m WHERE m.site_id = $1 AND m.provider = $2 \
                     AND m.received_at > $3 AND m.dialog_id IS NOT NULL \
                     ORDER BY m.received_at LIMIT 100",
                    args![site_id.0, provider.as_str(), since],
                )
                .await?;
            out.extend(
                rows.into_iter()
                    .map(|(id, dialog_id, received_at, earlier)| LiveMessage {
                        key: (provider, id),
                        dialog_id,
                        received_at,
                        started: earlier == 0,
                    }),
            );
        }
        out.sort_by_key(|m| m.received_at);
        Ok(out)
    }
}

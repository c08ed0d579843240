//! Delivery statuses of the messages a business sent.

use std::sync::LazyLock;

use uuid::Uuid;

use crate::args;
use crate::db::{site_id_lists, Conn, Db, StoreError};
use crate::domain::now_ms;
use crate::domain::provider::Provider;
use crate::domain::site::SiteId;
use crate::domain::status::{DeliveryStatus, StatusUpdate};
use crate::reports::rollups::messages::{status_flags_sql, MessageDelta, STATUS_TIME};
use crate::storage::StatusView;

/// One upsert whose every column only moves forward — the status to a higher rank, each
/// status's time to its earliest report — so the stored row is the same whatever order (and
/// however often) the notifications arrive. It returns the recipient, the row's first status
/// time and flags ([`status_flags_sql`]) after it, and before it (`counted_*`: NULL for a new
/// row), which the message rollups move by.
static UPSERT: LazyLock<String> = LazyLock::new(|| {
    format!(
        "INSERT INTO message_statuses (site_id, provider, provider_message_id, recipient, \
    status, status_rank, status_at, sent_at, delivered_at, read_at, played_at, \
    failed_at, errors, pricing_category, updated_at, counted_at, counted_flags) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, NULL, NULL) \
    ON CONFLICT (site_id, provider, provider_message_id) DO UPDATE SET \
    counted_at = COALESCE(message_statuses.sent_at, message_statuses.delivered_at, \
    message_statuses.read_at, message_statuses.played_at, message_statuses.failed_at, \
    message_statuses.status_at), counted_flags = {}, \
    recipient = COALESCE(message_statuses.recipient, excluded.recipient), \
    status = CASE WHEN excluded.status_rank > message_statuses.status_rank \
    THEN excluded.status ELSE message_statuses.status END, \
    status_at = CASE WHEN excluded.status_rank > message_statuses.status_rank \
    THEN excluded.status_at WHEN excluded.status_rank = message_statuses.status_rank \
    AND excluded.status_at < message_statuses.status_at THEN excluded.status_at \
    ELSE message_statuses.status_at END, \
    status_rank = CASE WHEN excluded.status_rank > message_statuses.status_rank \
    THEN excluded.status_rank ELSE message_statuses.status_rank END, \
    sent_at = CASE WHEN message_statuses.sent_at IS NULL \
    OR excluded.sent_at < message_statuses.sent_at \
    THEN COALESCE(excluded.sent_at, message_statuses.sent_at) \
    ELSE message_statuses.sent_at END, \
    delivered_at = CASE WHEN message_statuses.delivered_at IS NULL \
    OR excluded.delivered_at < message_statuses.delivered_at \
    THEN COALESCE(excluded.delivered_at, message_statuses.delivered_at) \
    ELSE message_statuses.delivered_at END, \
    read_at = CASE WHEN message_statuses.read_at IS NULL \
    OR excluded.read_at < message_statuses.read_at \
    THEN COALESCE(excluded.read_at, message_statuses.read_at) \
    ELSE message_statuses.read_at END, \
    played_at = CASE WHEN message_statuses.played_at IS NULL \
    OR excluded.played_at < message_statuses.played_at \
    THEN COALESCE(excluded.played_at, message_statuses.played_at) \
    ELSE message_statuses.played_at END, \
    failed_at = CASE WHEN message_statuses.failed_at IS NULL \
    OR excluded.failed_at < message_statuses.failed_at \
    THEN COALESCE(excluded.failed_at, message_statuses.failed_at) \
    ELSE message_statuses.failed_at END, \
    errors = COALESCE(excluded.errors, message_statuses.errors), \
    pricing_category = COALESCE(excluded.pricing_category, \
    message_statuses.pricing_category), \
    updated_at = excluded.updated_at \
    RETURNING recipient, COALESCE(sent_at, delivered_at, read_at, played_at, failed_at, \
    status_at), {}, counted_at, counted_flags",
        status_flags_sql("message_statuses."),
        status_flags_sql("")
    )
});

/// The contact's dialogs that started at or before `$3` and have no earlier answer take
/// `$3` (a status time of a message to phone `$2`) as the business's first answer.
const ANSWERED: &str = "UPDATE dialogs SET first_reply_at = $3 WHERE site_id = $1 \
    AND contact_id IN (SELECT contact_id FROM contacts WHERE site_id = $1 AND phone = $2) \
    AND started_at <= $3 AND (first_reply_at IS NULL OR first_reply_at > $3)";

/// Sets the dialogs' (of site `$1`) first answer from the statuses: the earliest status time
/// of a message to the contact's phone at or after the dialog's start. For dialogs that start
/// or start earlier; statuses that arrive later update it with [`ANSWERED`]. The time is
/// written `+ 0` so that it does not match `message_statuses_by_time`: SQLite would
/// otherwise walk that index from the dialog's start over every later status of the site
/// (quadratic in a generation of history) instead of the contact's few by recipient.
pub fn first_reply_sql(ids: &str) -> String {
    let at = format!("({STATUS_TIME}) + 0");
    format!(
        "UPDATE dialogs SET first_reply_at = (SELECT MIN({at}) FROM message_statuses ms \
         WHERE ms.site_id = dialogs.site_id AND ms.recipient = (SELECT c.phone FROM contacts c \
         WHERE c.site_id = dialogs.site_id AND c.contact_id = dialogs.contact_id) \
         AND {at} >= dialogs.started_at) WHERE site_id = $1 AND dialog_id{ids}"
    )
}

/// Sets the first answer of the dialogs `ids` of `site` (see [`first_reply_sql`]), with
/// the transaction's next statement or its commit ([`Conn::defer`]).
pub fn refresh_first_replies(conn: &mut Conn, site: Uuid, ids: &[Uuid]) {
    for (list, args) in site_id_lists(conn.backend(), site, ids) {
        conn.defer(first_reply_sql(&list), args);
    }
}

/// Records a delivery status, and the answer it is to the contact's dialogs.
pub async fn record(db: &Db, s: &StatusUpdate) -> Result<(), StoreError> {
    let at = |status: DeliveryStatus| (s.status == status).then_some(s.at_ms);
    let mut tx = db.begin().await?;
    type Row = (Option<String>, i64, i64, Option<i64>, Option<i64>);
    let (recipient, sent, flags, counted_at, counted_flags): Row = tx
        .fetch_one(
            &UPSERT,
            args![
                s.site_id.0,
                s.provider.as_str(),
                &s.provider_message_id,
                &s.recipient,
                s.status.as_str(),
                s.status.rank(),
                s.at_ms,
                at(DeliveryStatus::Sent),
                at(DeliveryStatus::Delivered),
                at(DeliveryStatus::Read),
                at(DeliveryStatus::Played),
                at(DeliveryStatus::Failed),
                &s.errors,
                &s.pricing_category,
                now_ms(),
            ],
        )
        .await?;
    if let Some(phone) = recipient {
        tx.execute(ANSWERED, args![s.site_id.0, phone, sent])
            .await?;
    }
    let mut counts = MessageDelta::default();
    if let (Some(at), Some(flags)) = (counted_at, counted_flags) {
        counts.status(s.site_id.0, at, flags, -1);
    }
    counts.status(s.site_id.0, sent, flags, 1);
    counts.write(&mut tx);
    tx.commit().await?;
    Ok(())
}

/// The delivery status of a message the business sent.
pub async fn of_message(
    db: &Db,
    site_id: SiteId,
    provider: Provider,
    provider_message_id: &str,
) -> Result<Option<StatusView>, StoreError> {
    Ok(db
        .fetch_optional(
            "SELECT provider_message_id, recipient, status, status_at, sent_at, \
             delivered_at, read_at, played_at, failed_at, errors, pricing_category \
             FROM message_statuses \
             WHERE site_id = $1 AND provider = $2 AND provider_message_id = $3",
            args![site_id.0, provider.as_str(), provider_message_id],
        )
        .await?)
}

//! Writes of delivery statuses of the messages a business sent.

/// Body of `Store::record_status`: one upsert whose every column only moves forward — the
/// status to a higher rank, each status's time to its earliest report — so the stored row
/// is the same whatever order (and however often) the notifications arrive.
macro_rules! record_status {
    ($pool:expr, $s:expr) => {{
        use $crate::domain::status::DeliveryStatus;
        let s: &$crate::domain::status::StatusUpdate = $s;
        let at = |status: DeliveryStatus| (s.status == status).then_some(s.at_ms);
        sqlx::query(
            "INSERT INTO message_statuses (site_id, provider, provider_message_id, recipient, \
             status, status_rank, status_at, sent_at, delivered_at, read_at, played_at, \
             failed_at, errors, pricing_category, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
             ON CONFLICT (site_id, provider, provider_message_id) DO UPDATE SET \
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
             updated_at = excluded.updated_at",
        )
        .bind(s.site_id.0)
        .bind(s.provider)
        .bind(&s.provider_message_id)
        .bind(&s.recipient)
        .bind(s.status.as_str())
        .bind(s.status.rank())
        .bind(s.at_ms)
        .bind(at(DeliveryStatus::Sent))
        .bind(at(DeliveryStatus::Delivered))
        .bind(at(DeliveryStatus::Read))
        .bind(at(DeliveryStatus::Played))
        .bind(at(DeliveryStatus::Failed))
        .bind(&s.errors)
        .bind(&s.pricing_category)
        .bind($crate::domain::now_ms())
        .execute(&$pool)
        .await?;
        Ok(())
    }};
}
pub(crate) use record_status;

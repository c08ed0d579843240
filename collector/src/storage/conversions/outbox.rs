//! The outbox: events written in the transaction of their change, with their deliveries,
//! claimed by senders under a lease and settled.

use std::collections::HashMap;

use uuid::Uuid;

use crate::args;
use crate::db::{Backend, Conn, Db, StoreError};
use crate::domain::conversion::{Destination, Event, EventKind};
use crate::domain::now_ms;
use crate::domain::outcome::StageKind;
use crate::domain::site::SiteId;

use super::destinations::load_destinations;
use super::{Claimed, Settled};

/// Writes `event` to the outbox in transaction `tx`, with a delivery for each enabled
/// destination of the site that takes it; nothing when none does. The site's destinations
/// are read once and remembered until they change (every dialog start asks for them).
pub async fn record(tx: &mut Conn, event: &Event) -> Result<(), sqlx::Error> {
    let site = event.site_id;
    let all = tx
        .remembered(&format!("destinations:{site}"), async |tx| {
            load_destinations(tx, site, None).await
        })
        .await?;
    let takers: Vec<&Destination> = all
        .iter()
        .filter(|d| d.enabled && d.name_for(event).is_some())
        .collect();
    if takers.is_empty() {
        return Ok(());
    }
    insert_event(tx, event).await?;
    for d in &takers {
        insert_delivery(tx, event, d.destination_id).await?;
    }
    Ok(())
}

async fn insert_event(tx: &mut Conn, e: &Event) -> Result<(), sqlx::Error> {
    tx.defer(
        "INSERT INTO conversion_events (site_id, event_id, kind, dialog_id, stage, stage_kind, \
         value_milli, currency, occurred_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        args![
            e.site_id,
            e.event_id,
            e.kind.as_str(),
            e.dialog_id,
            &e.stage,
            e.stage_kind.map(|k| k.as_str()),
            e.value_milli,
            &e.currency,
            e.occurred_at
        ],
    );
    Ok(())
}

async fn insert_delivery(tx: &mut Conn, e: &Event, destination: Uuid) -> Result<(), sqlx::Error> {
    let now = now_ms();
    tx.defer(
        "INSERT INTO conversion_deliveries (site_id, destination_id, event_id, state, attempts, \
         next_at, created_at) VALUES ($1, $2, $3, 'pending', 0, $4, $4)",
        args![e.site_id, destination, e.event_id, now],
    );
    Ok(())
}

type EventRow = (
    String,
    Uuid,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<String>,
    i64,
);

async fn load_event(
    conn: &mut Conn,
    site: Uuid,
    event_id: Uuid,
) -> Result<Option<Event>, sqlx::Error> {
    let row: Option<EventRow> = conn
        .fetch_optional(
            "SELECT kind, dialog_id, stage, stage_kind, value_milli, currency, occurred_at \
             FROM conversion_events WHERE site_id = $1 AND event_id = $2",
            args![site, event_id],
        )
        .await?;
    Ok(row.and_then(
        |(kind, dialog_id, stage, stage_kind, value_milli, currency, at)| {
            Some(Event {
                event_id,
                site_id: site,
                kind: EventKind::parse(&kind).ok()?,
                dialog_id,
                stage,
                stage_kind: stage_kind.and_then(|k| StageKind::parse(&k).ok()),
                value_milli,
                currency,
                occurred_at: at,
            })
        },
    ))
}

pub(super) async fn send_test(
    db: &Db,
    site_id: SiteId,
    id: Uuid,
) -> Result<Option<Uuid>, StoreError> {
    let site = site_id.0;
    let mut tx = db.begin().await?;
    if load_destinations(&mut tx, site, Some(id)).await?.is_empty() {
        return Ok(None);
    }
    let newest: Option<(Uuid,)> = tx
        .fetch_optional(
            "SELECT dialog_id FROM dialogs WHERE site_id = $1 \
             ORDER BY started_at DESC LIMIT 1",
            args![site],
        )
        .await?;
    let event = Event {
        event_id: Uuid::now_v7(),
        site_id: site,
        kind: EventKind::Test,
        dialog_id: newest.map_or(Uuid::nil(), |(d,)| d),
        stage: None,
        stage_kind: None,
        value_milli: None,
        currency: None,
        occurred_at: now_ms(),
    };
    insert_event(&mut tx, &event).await?;
    insert_delivery(&mut tx, &event, id).await?;
    tx.commit().await?;
    Ok(Some(event.event_id))
}

/// Takes up to `limit` due deliveries of enabled destinations (a paused one's are held
/// until it is enabled again), in one statement.
pub(super) async fn claim_deliveries(
    db: &Db,
    lease_ms: i64,
    limit: i64,
) -> Result<Vec<Claimed>, StoreError> {
    let mut tx = db.begin().await?;
    let skip_locked = match tx.backend() {
        Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    let now = now_ms();
    let keys: Vec<(Uuid, Uuid, Uuid, i64)> = tx
        .fetch_all(
            &format!(
                "UPDATE conversion_deliveries SET lease_until = $1 \
                 WHERE (site_id, destination_id, event_id) IN (\
                 SELECT d.site_id, d.destination_id, d.event_id FROM conversion_deliveries d \
                 WHERE d.state = 'pending' AND d.next_at <= $2 \
                 AND (d.lease_until IS NULL OR d.lease_until <= $2) \
                 AND EXISTS (SELECT 1 FROM conversion_destinations c \
                 WHERE c.site_id = d.site_id AND c.destination_id = d.destination_id \
                 AND c.enabled <> 0) \
                 ORDER BY d.next_at LIMIT $3{skip_locked}) \
                 RETURNING site_id, destination_id, event_id, attempts"
            ),
            args![now + lease_ms, now, limit],
        )
        .await?;
    let mut destinations: HashMap<(Uuid, Uuid), Option<Destination>> = HashMap::new();
    let mut claimed = Vec::with_capacity(keys.len());
    for (site, destination_id, event_id, attempts) in keys {
        let destination = match destinations.get(&(site, destination_id)) {
            Some(d) => d.clone(),
            None => {
                let d = load_destinations(&mut tx, site, Some(destination_id))
                    .await?
                    .pop();
                destinations.insert((site, destination_id), d.clone());
                d
            }
        };
        let event = load_event(&mut tx, site, event_id).await?;
        if let (Some(destination), Some(event)) = (destination, event) {
            claimed.push(Claimed {
                destination,
                event,
                attempts,
            });
        }
    }
    tx.commit().await?;
    Ok(claimed)
}

pub(super) async fn settle_delivery(db: &Db, c: &Claimed, how: Settled) -> Result<(), StoreError> {
    let now = now_ms();
    let (state, tried, next_at, settled_at, status, answer) = match how {
        Settled::Sent { status, answer } => ("sent", 1, now, Some(now), Some(status), answer),
        Settled::Failed { status, answer } => ("failed", 1, now, Some(now), Some(status), answer),
        Settled::Retry {
            status,
            answer,
            next_at,
        } => ("pending", 1, next_at, None, status, answer),
        Settled::Expired { answer } => ("expired", 0, now, Some(now), None, answer),
        Settled::Dropped { answer } => ("dropped", 0, now, Some(now), None, answer),
    };
    let answer: String = answer.chars().take(500).collect();
    db.execute(
        "UPDATE conversion_deliveries SET state = $4, attempts = attempts + $5, \
         next_at = $6, lease_until = NULL, settled_at = $7, last_status = $8, \
         last_answer = $9 WHERE site_id = $1 AND destination_id = $2 AND event_id = $3",
        args![
            c.event.site_id,
            c.destination.destination_id,
            c.event.event_id,
            state,
            tried as i64,
            next_at,
            settled_at,
            status,
            answer
        ],
    )
    .await?;
    Ok(())
}

pub(super) async fn delivery_counts(db: &Db) -> Result<Vec<(String, i64)>, StoreError> {
    Ok(db
        .fetch_all(
            "SELECT state, COUNT(*) FROM conversion_deliveries GROUP BY state ORDER BY state",
            args![],
        )
        .await?)
}

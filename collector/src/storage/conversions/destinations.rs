//! Destinations: stored, listed without their secrets, removed; and their delivery logs.

use std::collections::{BTreeMap, HashMap};

use uuid::Uuid;

use crate::args;
use crate::db::{Conn, Db, StoreError};
use crate::domain::conversion::{Destination, DestinationKind, DestinationPatch};
use crate::domain::site::SiteId;
use crate::domain::{now_ms, rfc3339_ms};

use super::{DeliveryView, DestinationView, Edited};

type DestinationRow = (
    Uuid,
    Uuid,
    String,
    String,
    Option<String>,
    String,
    Option<String>,
    String,
    i64,
);

const DESTINATION_COLUMNS: &str =
    "site_id, destination_id, kind, name, endpoint, settings, secret, events, enabled";

fn destination(row: DestinationRow) -> Option<Destination> {
    let (site_id, destination_id, kind, name, endpoint, settings, secret, events, enabled) = row;
    let kind = DestinationKind::parse(&kind).ok()?;
    Some(Destination {
        destination_id,
        site_id,
        kind,
        name,
        endpoint: endpoint.or_else(|| kind.default_endpoint().map(str::to_owned))?,
        settings: serde_json::from_str(&settings).unwrap_or_default(),
        secret: secret.map(Into::into),
        events: serde_json::from_str(&events).unwrap_or_default(),
        enabled: enabled != 0,
    })
}

/// The site's destinations in the order they were made, or only the one `only` names.
pub(super) async fn load_destinations(
    conn: &mut Conn,
    site: Uuid,
    only: Option<Uuid>,
) -> Result<Vec<Destination>, sqlx::Error> {
    let rows: Vec<DestinationRow> = match only {
        Some(id) => {
            conn.fetch_all(
                &format!(
                    "SELECT {DESTINATION_COLUMNS} FROM conversion_destinations \
                     WHERE site_id = $1 AND destination_id = $2"
                ),
                args![site, id],
            )
            .await?
        }
        None => {
            conn.fetch_all(
                &format!(
                    "SELECT {DESTINATION_COLUMNS} FROM conversion_destinations \
                     WHERE site_id = $1 ORDER BY created_at"
                ),
                args![site],
            )
            .await?
        }
    };
    Ok(rows.into_iter().filter_map(destination).collect())
}

/// The site's destinations, with their deliveries counted by state.
pub(super) async fn destinations(
    db: &Db,
    site_id: SiteId,
) -> Result<Vec<DestinationView>, StoreError> {
    let mut conn = db.read().await?;
    let all = load_destinations(&mut conn, site_id.0, None).await?;
    let counts: Vec<(Uuid, String, i64)> = conn
        .fetch_all(
            "SELECT destination_id, state, COUNT(*) FROM conversion_deliveries \
             WHERE site_id = $1 GROUP BY destination_id, state",
            args![site_id.0],
        )
        .await?;
    let mut by: HashMap<Uuid, BTreeMap<String, i64>> = HashMap::new();
    for (id, state, n) in counts {
        by.entry(id).or_default().insert(state, n);
    }
    Ok(all
        .into_iter()
        .map(|d| DestinationView {
            deliveries: by.remove(&d.destination_id).unwrap_or_default(),
            destination_id: d.destination_id,
            kind: d.kind,
            name: d.name,
            endpoint: d.endpoint,
            settings: d.settings,
            events: d.events,
            enabled: d.enabled,
        })
        .collect())
}

pub(super) async fn add_destination(db: &Db, d: &Destination) -> Result<(), StoreError> {
    let json = |m: &BTreeMap<String, String>| serde_json::to_string(m).expect("JSON of a map");
    db.execute(
        &format!(
            "INSERT INTO conversion_destinations ({DESTINATION_COLUMNS}, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        ),
        args![
            d.site_id,
            d.destination_id,
            d.kind.as_str(),
            d.name.as_str(),
            d.endpoint.as_str(),
            json(&d.settings),
            d.secret.as_ref().map(|s| s.expose()),
            json(&d.events),
            i64::from(d.enabled),
            now_ms()
        ],
    )
    .await?;
    db.config_changed();
    Ok(())
}

pub(super) async fn update_destination(
    db: &Db,
    site_id: SiteId,
    id: Uuid,
    patch: DestinationPatch,
) -> Result<Edited, StoreError> {
    let mut tx = db.begin().await?;
    let Some(stored) = load_destinations(&mut tx, site_id.0, Some(id)).await?.pop() else {
        return Ok(Edited::NotFound);
    };
    let d = match patch.apply(&stored) {
        Ok(d) => d,
        Err(e) => return Ok(Edited::Refused(e)),
    };
    let json = |m: &BTreeMap<String, String>| serde_json::to_string(m).expect("JSON of a map");
    tx.execute(
        "UPDATE conversion_destinations SET name = $3, endpoint = $4, settings = $5, \
         secret = $6, events = $7, enabled = $8 WHERE site_id = $1 AND destination_id = $2",
        args![
            site_id.0,
            id,
            d.name.as_str(),
            d.endpoint.as_str(),
            json(&d.settings),
            d.secret.as_ref().map(|s| s.expose()),
            json(&d.events),
            i64::from(d.enabled)
        ],
    )
    .await?;
    tx.commit().await?;
    db.config_changed();
    Ok(Edited::Done)
}

pub(super) async fn remove_destination(
    db: &Db,
    site_id: SiteId,
    id: Uuid,
) -> Result<bool, StoreError> {
    let mut tx = db.begin().await?;
    tx.execute(
        "DELETE FROM conversion_deliveries WHERE site_id = $1 AND destination_id = $2",
        args![site_id.0, id],
    )
    .await?;
    let n = tx
        .execute(
            "DELETE FROM conversion_destinations WHERE site_id = $1 AND destination_id = $2",
            args![site_id.0, id],
        )
        .await?;
    tx.commit().await?;
    db.config_changed();
    Ok(n > 0)
}

pub(super) async fn deliveries(
    db: &Db,
    site_id: SiteId,
    id: Uuid,
    limit: i64,
) -> Result<Option<Vec<DeliveryView>>, StoreError> {
    let mut conn = db.read().await?;
    if load_destinations(&mut conn, site_id.0, Some(id))
        .await?
        .is_empty()
    {
        return Ok(None);
    }
    type Row = (
        Uuid,
        String,
        Uuid,
        Option<String>,
        String,
        i64,
        i64,
        i64,
        Option<i64>,
        Option<i64>,
        Option<String>,
    );
    let rows: Vec<Row> = conn
        .fetch_all(
            "SELECT d.event_id, e.kind, e.dialog_id, e.stage, d.state, d.attempts, \
             e.occurred_at, d.next_at, d.settled_at, d.last_status, d.last_answer \
             FROM conversion_deliveries d JOIN conversion_events e \
             ON e.site_id = d.site_id AND e.event_id = d.event_id \
             WHERE d.site_id = $1 AND d.destination_id = $2 \
             ORDER BY d.created_at DESC, d.event_id DESC LIMIT $3",
            args![site_id.0, id, limit],
        )
        .await?;
    Ok(Some(
        rows.into_iter()
            .map(
                |(
                    event_id,
                    event,
                    dialog_id,
                    stage,
                    state,
                    attempts,
                    at,
                    next,
                    settled,
                    status,
                    answer,
                )| {
                    DeliveryView {
                        next_at: (state == "pending").then(|| rfc3339_ms(next)),
                        event_id,
                        event,
                        dialog_id,
                        stage,
                        state,
                        attempts,
                        occurred_at: rfc3339_ms(at),
                        settled_at: settled.map(rfc3339_ms),
                        status,
                        answer,
                    }
                },
            )
            .collect(),
    ))
}

pub(super) async fn retry_delivery(
    db: &Db,
    site_id: SiteId,
    id: Uuid,
    event_id: Uuid,
) -> Result<bool, StoreError> {
    let n = db
        .execute(
            "UPDATE conversion_deliveries SET state = 'pending', next_at = $4, \
             lease_until = NULL, settled_at = NULL \
             WHERE site_id = $1 AND destination_id = $2 AND event_id = $3 AND state <> 'sent'",
            args![site_id.0, id, event_id, now_ms()],
        )
        .await?;
    Ok(n > 0)
}

//! The conversions of a period for an ad platform's offline import file: dialogs that
//! started, or reached a stage, with their session's click ids and Metrica ClientID. Only
//! dialogs matched to a session whose visitor did not deny advertising consent.

use std::collections::HashMap;

use uuid::Uuid;

use crate::args;
use crate::db::{Db, StoreError};
use crate::domain::site::SiteId;

use super::{ExportEvent, ExportRow};

/// The most rows one file holds.
pub const MAX_ROWS: i64 = 100_000;

type Row = (
    Uuid,
    i64,
    Option<i64>,
    Option<String>,
    Option<String>,
    Option<String>,
);

pub(super) async fn export_rows(
    db: &Db,
    site_id: SiteId,
    what: &ExportEvent,
    (from_ms, to_ms): (i64, i64),
) -> Result<Vec<ExportRow>, StoreError> {
    let site = site_id.0;
    let mut conn = db.read().await?;
    let session = "JOIN sessions s ON s.site_id = d.site_id AND s.session_id = d.session_id \
                   AND s.ads_denied IS NULL";
    let rows: Vec<Row> = match what {
        ExportEvent::Started => {
            conn.fetch_all(
                &format!(
                    "SELECT d.dialog_id, d.started_at, NULL, NULL, s.click_ids, s.ym_client_id \
                     FROM dialogs d {session} WHERE d.site_id = $1 AND d.started_at >= $2 \
                     AND d.started_at < $3 ORDER BY d.started_at LIMIT $4"
                ),
                args![site, from_ms, to_ms, MAX_ROWS],
            )
            .await?
        }
        ExportEvent::Stage(stage) => {
            conn.fetch_all(
                &format!(
                    "SELECT c.dialog_id, c.changed_at, c.value_milli, c.currency, s.click_ids, \
                     s.ym_client_id FROM dialog_outcome_changes c JOIN dialogs d \
                     ON d.site_id = c.site_id AND d.dialog_id = c.dialog_id {session} \
                     WHERE c.site_id = $1 AND c.stage = $2 AND c.changed_at >= $3 \
                     AND c.changed_at < $4 ORDER BY c.changed_at LIMIT $5"
                ),
                args![site, stage.as_str(), from_ms, to_ms, MAX_ROWS],
            )
            .await?
        }
    };
    // A dialog that reached the stage twice (its value changed): its last change.
    let mut out: Vec<ExportRow> = Vec::with_capacity(rows.len());
    let mut at_index: HashMap<Uuid, usize> = HashMap::new();
    for (dialog_id, at, value_milli, currency, click_ids, ym_client_id) in rows {
        let row = ExportRow {
            dialog_id,
            at,
            value_milli,
            currency,
            click_ids: click_ids
                .and_then(|c| serde_json::from_str(&c).ok())
                .unwrap_or_default(),
            ym_client_id,
        };
        match at_index.get(&dialog_id) {
            Some(&i) => out[i] = row,
            None => {
                at_index.insert(dialog_id, out.len());
                out.push(row);
            }
        }
    }
    Ok(out)
}

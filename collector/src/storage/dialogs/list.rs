//! The dialogs list: newest first, keyset-paged, filtered.

use crate::args;
use crate::db::{Arg, Db, StoreError};
use crate::domain::dialog::{DialogKind, MatchKind};
use crate::domain::site::SiteId;
use crate::storage::dialogs::outcome;
use crate::storage::{DialogCursor, DialogListQuery, DialogSummary};

/// One page of a site's dialogs.
pub async fn list(
    db: &Db,
    site_id: SiteId,
    q: &DialogListQuery,
) -> Result<Vec<DialogSummary>, StoreError> {
    let f = &q.filters;
    // `CROSS JOIN` fixes SQLite's join order. Without a search it reads dialogs first,
    // newest first, from `dialogs_for_reports` (in page order), so a page stops after its
    // rows (with planner statistics it may otherwise start from contacts and sort every
    // dialog of the site). A search reads the matching contacts first and sorts their
    // dialogs (otherwise a search that matches little walks every dialog). PostgreSQL plans
    // both as the inner join they are, its trigram index finding the contacts.
    let from = if f.name_like.is_some() {
        "contacts c CROSS JOIN dialogs d"
    } else {
        "dialogs d CROSS JOIN contacts c"
    };
    let after = q.after.unwrap_or(DialogCursor {
        started_at: i64::MAX,
        dialog_id: uuid::Uuid::max(),
    });
    // A report row's keys and period, from `$12` on.
    let mut extra = String::new();
    let mut binds: Vec<Arg> = Vec::new();
    for (key, value) in &f.keys {
        match value {
            Some(v) => {
                binds.push(v.into());
                extra.push_str(&format!(
                    " AND {} = ${}",
                    key.dialog_column(),
                    11 + binds.len()
                ));
            }
            None => extra.push_str(&format!(" AND {} IS NULL", key.dialog_column())),
        }
    }
    if let Some((from_ms, to_ms)) = f.started {
        binds.extend([Arg::from(from_ms), Arg::from(to_ms)]);
        extra.push_str(&format!(
            " AND d.started_at >= ${} AND d.started_at < ${}",
            10 + binds.len(),
            11 + binds.len()
        ));
    }
    if let Some(stage) = &f.stage {
        binds.push(stage.name.as_str().into());
        let n = 11 + binds.len();
        // A dialog never moved has no stored stage: it is in the first one.
        let unset = if stage.initial {
            " OR d.stage IS NULL"
        } else {
            ""
        };
        extra.push_str(&format!(" AND (d.stage = ${n}{unset})"));
    }
    let sql = format!(
        "SELECT d.dialog_id, d.started_at, d.kind, d.match_kind, \
         c.name AS contact_name, c.phone AS contact_phone, \
         d.first_message, d.channel, d.utm_campaign, s.source, d.business_number, \
         d.stage, d.value_milli, d.currency \
         FROM {from} \
         LEFT JOIN sessions s ON s.site_id = d.site_id AND s.session_id = d.session_id \
         WHERE c.site_id = d.site_id AND c.contact_id = d.contact_id \
         AND d.site_id = $1 AND (d.started_at, d.dialog_id) < ($2, $3) \
         AND ($4 IS NULL OR d.channel = $4) \
         AND ($5 IS NULL OR d.match_kind = $5) \
         AND ($6 IS NULL OR d.kind = $6) \
         AND ($7 IS NULL OR d.business_number = $7) \
         AND ($8 IS NULL OR EXISTS (SELECT 1 FROM dialog_tags t \
              WHERE t.site_id = d.site_id AND t.dialog_id = d.dialog_id AND t.tag = $8)) \
         AND ($9 IS NULL OR c.name_folded LIKE $9 ESCAPE '\\' \
              OR ($10 IS NOT NULL AND c.phone LIKE $10)){extra} \
         ORDER BY d.started_at DESC, d.dialog_id DESC LIMIT $11"
    );
    let mut args = args![
        site_id.0,
        after.started_at,
        after.dialog_id,
        &f.channel,
        f.match_kind.map(MatchKind::as_str),
        f.kind.map(DialogKind::as_str),
        &f.number,
        &f.tag,
        &f.name_like,
        &f.phone_like,
        q.limit,
    ];
    args.extend(binds);
    let mut rows: Vec<DialogSummary> = db.fetch_all(&sql, args).await?;
    // Dialogs never moved are in the site's first stage.
    if rows.iter().any(|r| r.stage.is_none()) {
        let mut conn = db.read().await?;
        let stages = outcome::stages(&mut conn, site_id.0).await?;
        for r in &mut rows {
            let (_, stage) = stages.current(r.stage.as_deref());
            r.stage = Some(stage.name.clone());
        }
    }
    Ok(rows)
}

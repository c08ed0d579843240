//! The dialogs list: newest first, keyset-paged, filtered.

use crate::args;
use crate::db::{Db, StoreError};
use crate::domain::dialog::{DialogKind, MatchKind};
use crate::domain::site::SiteId;
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
    let sql = format!(
        "SELECT d.dialog_id, d.started_at, d.kind, d.match_kind, \
         c.name AS contact_name, c.phone AS contact_phone, \
         d.first_message, s.channel, s.utm_campaign, s.source, d.business_number \
         FROM {from} \
         LEFT JOIN sessions s ON s.site_id = d.site_id AND s.session_id = d.session_id \
         WHERE c.site_id = d.site_id AND c.contact_id = d.contact_id \
         AND d.site_id = $1 AND (d.started_at, d.dialog_id) < ($2, $3) \
         AND ($4 IS NULL OR s.channel = $4) \
         AND ($5 IS NULL OR d.match_kind = $5) \
         AND ($6 IS NULL OR d.kind = $6) \
         AND ($7 IS NULL OR d.business_number = $7) \
         AND ($8 IS NULL OR EXISTS (SELECT 1 FROM dialog_tags t \
              WHERE t.site_id = d.site_id AND t.dialog_id = d.dialog_id AND t.tag = $8)) \
         AND ($9 IS NULL OR LOWER(c.name) LIKE $9 ESCAPE '\\' \
              OR c.name LIKE $10 ESCAPE '\\' \
              OR ($11 IS NOT NULL AND c.phone LIKE $11)) \
         ORDER BY d.started_at DESC, d.dialog_id DESC LIMIT $12"
    );
    Ok(db
        .fetch_all(
            &sql,
            args![
                site_id.0,
                after.started_at,
                after.dialog_id,
                &f.channel,
                f.match_kind.map(MatchKind::as_str),
                f.kind.map(DialogKind::as_str),
                &f.number,
                &f.tag,
                &f.name_like,
                &f.name_like_as_typed,
                &f.phone_like,
                q.limit,
            ],
        )
        .await?)
}

//! Operators' tags on dialogs. Every statement is keyed by the site, so a token of one site
//! can neither read nor tag another site's dialog.

use uuid::Uuid;

use crate::args;
use crate::db::{Conn, Db, StoreError};
use crate::domain::now_ms;
use crate::domain::site::SiteId;
use crate::domain::tag::{Tag, MAX_TAGS_PER_DIALOG};
use crate::storage::TagChange;

/// The sorted tags of a dialog, `None` if the site has no such dialog.
pub async fn of(
    conn: &mut Conn,
    site_id: SiteId,
    dialog_id: Uuid,
) -> Result<Option<Vec<String>>, sqlx::Error> {
    let exists: Option<(Uuid,)> = conn
        .fetch_optional(
            "SELECT dialog_id FROM dialogs WHERE site_id = $1 AND dialog_id = $2",
            args![site_id.0, dialog_id],
        )
        .await?;
    if exists.is_none() {
        return Ok(None);
    }
    let rows: Vec<(String,)> = conn
        .fetch_all(
            "SELECT tag FROM dialog_tags WHERE site_id = $1 AND dialog_id = $2 ORDER BY tag",
            args![site_id.0, dialog_id],
        )
        .await?;
    Ok(Some(rows.into_iter().map(|(t,)| t).collect()))
}

/// Adds a tag (adding it twice is not an error).
pub async fn add(
    db: &Db,
    site_id: SiteId,
    dialog_id: Uuid,
    tag: &Tag,
) -> Result<TagChange, StoreError> {
    let mut tx = db.begin().await?;
    let Some(current) = of(&mut tx, site_id, dialog_id).await? else {
        return Ok(TagChange::NoDialog);
    };
    if !current.iter().any(|t| t == tag.as_str()) {
        if current.len() as i64 >= MAX_TAGS_PER_DIALOG {
            return Ok(TagChange::TooMany);
        }
        tx.execute(
            "INSERT INTO dialog_tags (site_id, dialog_id, tag, created_at, dialog_started_at) \
             SELECT $1, $2, $3, $4, started_at FROM dialogs \
             WHERE site_id = $1 AND dialog_id = $2 \
             ON CONFLICT (site_id, dialog_id, tag) DO NOTHING",
            args![site_id.0, dialog_id, tag.as_str(), now_ms()],
        )
        .await?;
        let event = super::outcome::RuleEvent::Tag(tag.as_str());
        super::outcome::apply_rules(&mut tx, site_id.0, dialog_id, event).await?;
    }
    let now = of(&mut tx, site_id, dialog_id).await?.unwrap_or_default();
    tx.commit().await?;
    Ok(TagChange::Tags(now))
}

/// Removes a tag (removing an absent tag is not an error).
pub async fn remove(
    db: &Db,
    site_id: SiteId,
    dialog_id: Uuid,
    tag: &Tag,
) -> Result<TagChange, StoreError> {
    let mut tx = db.begin().await?;
    tx.execute(
        "DELETE FROM dialog_tags WHERE site_id = $1 AND dialog_id = $2 AND tag = $3",
        args![site_id.0, dialog_id, tag.as_str()],
    )
    .await?;
    let now = of(&mut tx, site_id, dialog_id).await?;
    tx.commit().await?;
    Ok(match now {
        None => TagChange::NoDialog,
        Some(tags) => TagChange::Tags(tags),
    })
}

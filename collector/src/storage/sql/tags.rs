//! Operators' tags on dialogs. Every statement is keyed by the site, so a token of one site
//! can neither read nor tag another site's dialog.

/// The sorted tags of a dialog on connection or transaction `$conn`, `None` if the site has
/// no such dialog.
macro_rules! tags_of {
    ($conn:ident, $site_id:expr, $dialog_id:expr) => {{
        let exists: Option<(uuid::Uuid,)> =
            sqlx::query_as("SELECT dialog_id FROM dialogs WHERE site_id = $1 AND dialog_id = $2")
                .bind($site_id)
                .bind($dialog_id)
                .fetch_optional(&mut *$conn)
                .await?;
        match exists {
            None => Ok(None),
            Some(_) => {
                let rows: Vec<(String,)> = sqlx::query_as(
                    "SELECT tag FROM dialog_tags WHERE site_id = $1 AND dialog_id = $2 \
                     ORDER BY tag",
                )
                .bind($site_id)
                .bind($dialog_id)
                .fetch_all(&mut *$conn)
                .await?;
                Ok(Some(
                    rows.into_iter().map(|(t,)| t).collect::<Vec<String>>(),
                ))
            }
        }
    }};
}
pub(crate) use tags_of;

/// Body of `Store::add_tag`.
macro_rules! add_tag {
    ($pool:expr, $site_id:expr, $dialog_id:expr, $tag:expr) => {{
        use $crate::storage::TagChange;
        let tag: &$crate::domain::tag::Tag = $tag;
        let mut tx = $pool.begin().await?;
        let current: Result<Option<Vec<String>>, $crate::storage::StoreError> =
            $crate::storage::sql::tags::tags_of!(tx, $site_id, $dialog_id);
        let Some(current) = current? else {
            return Ok(TagChange::NoDialog);
        };
        if !current.iter().any(|t| t == tag.as_str()) {
            if current.len() as i64 >= $crate::domain::tag::MAX_TAGS_PER_DIALOG {
                return Ok(TagChange::TooMany);
            }
            sqlx::query(
                "INSERT INTO dialog_tags (site_id, dialog_id, tag, created_at, \
                 dialog_started_at) SELECT $1, $2, $3, $4, started_at FROM dialogs \
                 WHERE site_id = $1 AND dialog_id = $2 \
                 ON CONFLICT (site_id, dialog_id, tag) DO NOTHING",
            )
            .bind($site_id)
            .bind($dialog_id)
            .bind(tag.as_str())
            .bind($crate::domain::now_ms())
            .execute(&mut *tx)
            .await?;
        }
        let now: Result<Option<Vec<String>>, $crate::storage::StoreError> =
            $crate::storage::sql::tags::tags_of!(tx, $site_id, $dialog_id);
        let now = now?.unwrap_or_default();
        tx.commit().await?;
        Ok(TagChange::Tags(now))
    }};
}
pub(crate) use add_tag;

/// Body of `Store::remove_tag`.
macro_rules! remove_tag {
    ($pool:expr, $site_id:expr, $dialog_id:expr, $tag:expr) => {{
        use $crate::storage::TagChange;
        let tag: &$crate::domain::tag::Tag = $tag;
        let mut tx = $pool.begin().await?;
        sqlx::query("DELETE FROM dialog_tags WHERE site_id = $1 AND dialog_id = $2 AND tag = $3")
            .bind($site_id)
            .bind($dialog_id)
            .bind(tag.as_str())
            .execute(&mut *tx)
            .await?;
        let now: Result<Option<Vec<String>>, $crate::storage::StoreError> =
            $crate::storage::sql::tags::tags_of!(tx, $site_id, $dialog_id);
        tx.commit().await?;
        Ok(match now? {
            None => TagChange::NoDialog,
            Some(tags) => TagChange::Tags(tags),
        })
    }};
}
pub(crate) use remove_tag;

//! Rows stored by earlier versions, brought up to what this one derives at write time, when
//! the collector starts: sessions' and clicks' page keys (`domain::page`), the attribution
//! of dialogs from Click-to-WhatsApp ads without a session, and contacts' folded names.
//! Each site whose report data changed, or whose rollups lack a grouping or a count this
//! version adds, gets its rollups rebuilt. A no-op once done.

use uuid::Uuid;

use super::fold;
use crate::args;
use crate::db::{Db, StoreError};
use crate::domain::page::page_key;
use crate::domain::site::SiteId;
use crate::reports::query::Fact;
use crate::reports::rollups::DIMS;
use crate::reports::store::Reports;

/// Rows given their derived value per transaction.
const BATCH: i64 = 1000;

/// Catches up every site; the number of rows changed.
pub async fn catch_up(db: &Db) -> Result<u64, StoreError> {
    let sites: Vec<(Uuid, String)> = db
        .fetch_all("SELECT site_id, domains FROM sites", args![])
        .await?;
    let mut total = 0;
    for (site_id, domains) in sites {
        let domains: Vec<String> = serde_json::from_str(&domains).unwrap_or_default();
        let page = |url: &str| page_key(url, &domains);
        let mut reported = fill(
            db,
            site_id,
            "sessions",
            "session_id",
            "landing_page",
            "landing_key",
            page,
        )
        .await?;
        reported += fill(
            db, site_id, "clicks", "click_id", "page_url", "page_key", page,
        )
        .await?;
        // Ad dialogs from before their attribution was copied from the ad: the rebuild
        // copies it.
        let (ad_dialogs,): (i64,) = db
            .fetch_optional(
                "SELECT COUNT(*) FROM dialogs WHERE site_id = $1 AND session_id IS NULL \
                 AND referral_id IS NOT NULL AND channel IS NULL",
                args![site_id],
            )
            .await?
            .unwrap_or((0,));
        reported += ad_dialogs as u64;
        if reported > 0
            || lacks_groupings(db, site_id).await?
            || lacks_chat_clicks(db, site_id).await?
        {
            tracing::info!(site = %site_id, rows = reported, "rows caught up; rebuilding rollups");
            db.rebuild_rollups(SiteId(site_id)).await?;
        }
        let names = fill(
            db,
            site_id,
            "contacts",
            "contact_id",
            "name",
            "name_folded",
            fold,
        )
        .await?;
        total += reported + names;
    }
    Ok(total)
}

/// Whether the site has visits but its rollups lack a grouping of visits (one added by a
/// later version).
async fn lacks_groupings(db: &Db, site_id: Uuid) -> Result<bool, StoreError> {
    let names: Vec<&str> = DIMS
        .iter()
        .filter(|d| d.facts.contains(&Fact::Sessions))
        .map(|d| d.name)
        .collect();
    let visited: Option<(i64,)> = db
        .fetch_optional(
            "SELECT CAST(1 AS BIGINT) FROM sessions WHERE site_id = $1 LIMIT 1",
            args![site_id],
        )
        .await?;
    if visited.is_none() {
        return Ok(false);
    }
    let list: Vec<String> = names.iter().map(|n| format!("'{n}'")).collect();
    let (present,): (i64,) = db
        .fetch_optional(
            &format!(
                "SELECT COUNT(DISTINCT dim) FROM report_rollups WHERE site_id = $1 \
                 AND dim IN ({})",
                list.join(", ")
            ),
            args![site_id],
        )
        .await?
        .unwrap_or((0,));
    Ok((present as usize) < names.len())
}

/// Whether dialogs of the site point at clicks but its rollups count no chat click (rows
/// from before they did).
async fn lacks_chat_clicks(db: &Db, site_id: Uuid) -> Result<bool, StoreError> {
    let pointed: Option<(i64,)> = db
        .fetch_optional(
            "SELECT CAST(1 AS BIGINT) FROM dialogs WHERE site_id = $1 AND click_id IS NOT NULL \
             LIMIT 1",
            args![site_id],
        )
        .await?;
    if pointed.is_none() {
        return Ok(false);
    }
    let counted: Option<(i64,)> = db
        .fetch_optional(
            "SELECT CAST(1 AS BIGINT) FROM report_rollups WHERE site_id = $1 AND chats > 0 \
             LIMIT 1",
            args![site_id],
        )
        .await?;
    Ok(counted.is_none())
}

/// Sets `target` to `derive(source)` on the site's rows of `table` where it is NULL and
/// `source` is not, a batch a transaction; the number of rows set.
async fn fill(
    db: &Db,
    site_id: Uuid,
    table: &str,
    id: &str,
    source: &str,
    target: &str,
    derive: impl Fn(&str) -> String,
) -> Result<u64, StoreError> {
    let select = format!(
        "SELECT {id}, {source} FROM {table} WHERE site_id = $1 AND {target} IS NULL \
         AND {source} IS NOT NULL LIMIT {BATCH}"
    );
    let update = format!("UPDATE {table} SET {target} = $3 WHERE site_id = $1 AND {id} = $2");
    let mut filled = 0;
    loop {
        let mut tx = db.begin().await?;
        let rows: Vec<(Uuid, String)> = tx.fetch_all(&select, args![site_id]).await?;
        for (row, value) in &rows {
            tx.execute(&update, args![site_id, *row, derive(value)])
                .await?;
        }
        tx.commit().await?;
        filled += rows.len() as u64;
        if (rows.len() as i64) < BATCH {
            return Ok(filled);
        }
    }
}

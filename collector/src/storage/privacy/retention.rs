//! Retention: a background task deletes, per site, the visits and clicks older than its
//! `visits_days` and the dialogs and messages older than its `dialogs_days` (with their
//! conversion events and deliveries), at whole UTC days. The rollups are left as they are:
//! reports over expired days answer from them.
//!
//! Before deleting, the site's horizon moves to the new cutoff (`sites.*_expired_before`),
//! so a rollup check between the two already takes the expired days from the rollups
//! ([`crate::reports::retained`]). A visit or click that a kept dialog came from stays as
//! long as the dialog (its attribution and source card need it), and a session stays while
//! one of its clicks does. Deletes run in batches of [`BATCH`] rows per transaction, so
//! beacons and webhooks wait for a short write at most. The same task deletes the accounts'
//! expired sessions and invite links.

use std::time::Duration;

use uuid::Uuid;

use super::{in_chunks, Expired, Retention};
use crate::args;
use crate::db::{Db, StoreError};
use crate::domain::site::SiteId;
use crate::reports::rollups::messages::MessageDelta;
use crate::reports::rollups::DAY_MS;
use crate::storage::accounts::{Accounts as _, Purged};

/// Rows selected and deleted per transaction.
const BATCH: i64 = 500;

pub(super) async fn get(db: &Db, site_id: SiteId) -> Result<Retention, StoreError> {
    let row: Option<(Option<i64>, Option<i64>)> = db
        .fetch_optional(
            "SELECT retention_visits_days, retention_dialogs_days FROM sites WHERE site_id = $1",
            args![site_id.0],
        )
        .await?;
    let (v, d) = row.unwrap_or_default();
    let days = |n: Option<i64>| n.and_then(|n| u32::try_from(n).ok());
    Ok(Retention {
        visits_days: days(v),
        dialogs_days: days(d),
    })
}

pub(super) async fn set(db: &Db, site_id: SiteId, r: &Retention) -> Result<bool, StoreError> {
    let n = db
        .execute(
            "UPDATE sites SET retention_visits_days = $2, retention_dialogs_days = $3 \
             WHERE site_id = $1",
            args![
                site_id.0,
                r.visits_days.map(i64::from),
                r.dialogs_days.map(i64::from)
            ],
        )
        .await?;
    Ok(n > 0)
}

/// The start of the UTC day `days` days before `now_ms`: rows before it have expired.
fn cutoff(now_ms: i64, days: Option<u32>) -> Option<i64> {
    let back = now_ms - i64::from(days?) * DAY_MS;
    Some(back.div_euclid(DAY_MS) * DAY_MS)
}

pub(super) async fn expire(db: &Db, site_id: SiteId, now_ms: i64) -> Result<Expired, StoreError> {
    let site = site_id.0;
    let r = get(db, site_id).await?;
    let mut out = Expired::default();
    if let Some(h) = cutoff(now_ms, r.dialogs_days) {
        move_horizon(db, site, "dialogs_expired_before", h).await?;
        expire_dialogs(db, site, h, &mut out).await?;
    }
    if let Some(h) = cutoff(now_ms, r.visits_days) {
        move_horizon(db, site, "visits_expired_before", h).await?;
        expire_visits(db, site, h, &mut out).await?;
    }
    Ok(out)
}

/// Moves a horizon forward to `h` (never back: what was deleted stays deleted).
async fn move_horizon(db: &Db, site: Uuid, column: &str, h: i64) -> Result<(), StoreError> {
    db.execute(
        &format!(
            "UPDATE sites SET {column} = $2 WHERE site_id = $1 \
             AND ({column} IS NULL OR {column} < $2)"
        ),
        args![site, h],
    )
    .await?;
    Ok(())
}

/// Selects up to [`BATCH`] ids with `select` (`$1` site, `$2` cutoff) and runs `deletes`
/// on them, one transaction per batch, until none is left; the rows each delete removed.
/// `messages_of`: the messages' column the ids are in, when the deletes take messages.
async fn batches<const N: usize>(
    db: &Db,
    site: Uuid,
    h: i64,
    select: &str,
    messages_of: Option<&str>,
    deletes: [&str; N],
) -> Result<[u64; N], StoreError> {
    let mut total = [0; N];
    loop {
        let mut tx = db.begin().await?;
        let ids: Vec<(Uuid,)> = tx
            .fetch_all(&format!("{select} LIMIT {BATCH}"), args![site, h])
            .await?;
        if ids.is_empty() {
            return Ok(total);
        }
        let ids: Vec<Uuid> = ids.into_iter().map(|(id,)| id).collect();
        // Messages of expired dialogs sent on kept days leave the message rollups with them
        // (those of expired days stay counted, as every rollup of an expired day does).
        let mut counts = MessageDelta::default();
        if let Some(column) = messages_of {
            counts
                .messages_out(&mut tx, site, column, &ids, Some(h))
                .await?;
        }
        for (i, head) in deletes.iter().enumerate() {
            total[i] += in_chunks(&mut tx, head, site, &ids).await?;
        }
        counts.write(&mut tx);
        tx.commit().await?;
    }
}

async fn expire_dialogs(db: &Db, site: Uuid, h: i64, out: &mut Expired) -> Result<(), StoreError> {
    let [messages, _, dialogs] = batches(
        db,
        site,
        h,
        "SELECT dialog_id FROM dialogs WHERE site_id = $1 AND started_at < $2",
        Some("dialog_id"),
        [
            "DELETE FROM messages WHERE site_id = $1 AND dialog_id",
            "DELETE FROM dialog_tags WHERE site_id = $1 AND dialog_id",
            "DELETE FROM dialogs WHERE site_id = $1 AND dialog_id",
        ],
    )
    .await?;
    out.dialogs += dialogs;
    out.messages += messages;
    let mut tx = db.begin().await?;
    out.messages += tx
        .execute(
            "DELETE FROM messages WHERE site_id = $1 AND sent_at < $2",
            args![site, h],
        )
        .await?;
    out.statuses += tx
        .execute(
            "DELETE FROM message_statuses WHERE site_id = $1 AND status_at < $2",
            args![site, h],
        )
        .await?;
    // Ads' referrals come with a dialog's first message: those of expired dialogs too.
    tx.execute(
        "DELETE FROM referrals WHERE site_id = $1 AND received_at < $2 AND NOT EXISTS \
         (SELECT 1 FROM dialogs d WHERE d.site_id = referrals.site_id \
         AND d.referral_id = referrals.referral_id)",
        args![site, h],
    )
    .await?;
    out.contacts += tx
        .execute(
            "DELETE FROM contacts WHERE site_id = $1 AND last_seen_at < $2 AND NOT EXISTS \
             (SELECT 1 FROM dialogs d WHERE d.site_id = contacts.site_id \
             AND d.contact_id = contacts.contact_id)",
            args![site, h],
        )
        .await?;
    // Conversion events of expired dialogs, and their deliveries (test events, on no
    // dialog, once older than the horizon).
    let gone = "FROM conversion_events e WHERE e.site_id = $1 AND (e.kind <> 'test' \
                OR e.occurred_at < $2) AND NOT EXISTS (SELECT 1 FROM dialogs d \
                WHERE d.site_id = e.site_id AND d.dialog_id = e.dialog_id)";
    tx.execute(
        &format!(
            "DELETE FROM conversion_deliveries WHERE site_id = $1 AND event_id IN \
             (SELECT e.event_id {gone})"
        ),
        args![site, h],
    )
    .await?;
    tx.execute(
        &format!("DELETE FROM conversion_events WHERE event_id IN (SELECT e.event_id {gone})"),
        args![site, h],
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

async fn expire_visits(db: &Db, site: Uuid, h: i64, out: &mut Expired) -> Result<(), StoreError> {
    let [clicks] = batches(
        db,
        site,
        h,
        "SELECT click_id FROM clicks c WHERE site_id = $1 AND clicked_at < $2 AND NOT EXISTS \
         (SELECT 1 FROM dialogs d WHERE d.site_id = c.site_id AND d.click_id = c.click_id)",
        None,
        ["DELETE FROM clicks WHERE site_id = $1 AND click_id"],
    )
    .await?;
    out.clicks += clicks;
    let [_, sessions] = batches(
        db,
        site,
        h,
        // A session stays while a click or dialog points at it, and while it is the first
        // session of a visitor with a dialog: first-touch attribution names it.
        "SELECT session_id FROM sessions s WHERE site_id = $1 AND started_at < $2 \
         AND NOT EXISTS (SELECT 1 FROM clicks c WHERE c.site_id = s.site_id \
         AND c.session_id = s.session_id) AND NOT EXISTS (SELECT 1 FROM dialogs d \
         WHERE d.site_id = s.site_id AND d.session_id = s.session_id) \
         AND NOT EXISTS (SELECT 1 FROM visitors v JOIN sessions m ON m.site_id = v.site_id \
         AND m.visitor_id = v.visitor_id JOIN dialogs d ON d.site_id = m.site_id \
         AND d.session_id = m.session_id WHERE v.site_id = s.site_id \
         AND v.visitor_id = s.visitor_id AND v.first_session_id = s.session_id)",
        None,
        [
            "DELETE FROM pageviews WHERE site_id = $1 AND session_id",
            "DELETE FROM sessions WHERE site_id = $1 AND session_id",
        ],
    )
    .await?;
    out.sessions += sessions;
    let [visitors] = batches(
        db,
        site,
        h,
        "SELECT visitor_id FROM visitors v WHERE site_id = $1 AND last_seen_at < $2 \
         AND NOT EXISTS (SELECT 1 FROM sessions s WHERE s.site_id = v.site_id \
         AND s.visitor_id = v.visitor_id)",
        None,
        ["DELETE FROM visitors WHERE site_id = $1 AND visitor_id"],
    )
    .await?;
    out.visitors += visitors;
    Ok(())
}

/// Sites with a retention set.
async fn sites_with_retention(db: &Db) -> Result<Vec<SiteId>, StoreError> {
    let rows: Vec<(Uuid,)> = db
        .fetch_all(
            "SELECT site_id FROM sites WHERE retention_visits_days IS NOT NULL \
             OR retention_dialogs_days IS NOT NULL",
            Vec::new(),
        )
        .await?;
    Ok(rows.into_iter().map(|(id,)| SiteId(id)).collect())
}

/// Deletes the accounts' expired sessions and links to set a password: they sign no one
/// in, yet would pile up (a session is swept at its account's next sign-in, a link when
/// used or replaced, and some never are).
async fn purge_expired_sign_ins(db: &Db) {
    let now = chrono::Utc::now().timestamp_millis();
    match db.purge_expired(now).await {
        Ok(p) if p != Purged::default() => {
            tracing::info!(
                sessions = p.sessions,
                invites = p.invites,
                "retention: expired sessions and invites deleted"
            );
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "retention: expired sessions not deleted"),
    }
}

/// Runs retention over every site with one set, every `every` (the first run one `every`
/// after start), until the process ends. A failed run is logged and tried again next time.
pub fn spawn_retention(db: Db, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        loop {
            tick.tick().await;
            purge_expired_sign_ins(&db).await;
            let sites = match sites_with_retention(&db).await {
                Ok(sites) => sites,
                Err(e) => {
                    tracing::warn!(error = %e, "retention: sites not read");
                    continue;
                }
            };
            for site in sites {
                let now = chrono::Utc::now().timestamp_millis();
                match expire(&db, site, now).await {
                    Ok(x) if x != Expired::default() => {
                        tracing::info!(site_id = %site.0, sessions = x.sessions,
                            clicks = x.clicks, visitors = x.visitors, dialogs = x.dialogs,
                            messages = x.messages, statuses = x.statuses,
                            contacts = x.contacts, "retention: expired rows deleted");
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(site_id = %site.0, error = %e, "retention failed"),
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cutoffs_are_whole_utc_days() {
        let now = 20_000 * DAY_MS + 5 * 3_600_000;
        assert_eq!(cutoff(now, Some(30)), Some(19_970 * DAY_MS));
        assert_eq!(cutoff(now, None), None);
        assert_eq!(cutoff(20_000 * DAY_MS, Some(1)), Some(19_999 * DAY_MS));
    }
}

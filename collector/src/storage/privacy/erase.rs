//! Erasing one contact: in one transaction, their messages and the statuses of messages to
//! their number are deleted, their dialogs lose what tells who they are (first message,
//! session, click, ad referral, tags) and stay as anonymous counts, the sessions, pageviews,
//! clicks and visitor records of the browsers their dialogs came from are deleted, and the
//! contact rows lose phone, user id, name and username. The rollups are kept equal to the
//! fact tables: the deleted visits and clicks are counted out, and the dialogs counted again
//! without their session's attribution. On SQLite, deleted content is overwritten
//! (`secure_delete`) and the write-ahead log checkpointed, so the file keeps no copy.

use uuid::Uuid;

use super::{in_chunks, Erased};
use crate::args;
use crate::db::{Arg, Backend, Conn, Db, StoreError};
use crate::domain::site::SiteId;
use crate::reports::query::Fact;
use crate::reports::rollups::messages::MessageDelta;
use crate::reports::rollups::write::ids_in;
use crate::reports::rollups::RollupDelta;

pub(super) async fn erase(
    db: &Db,
    site_id: SiteId,
    phone: Option<&str>,
    user_id: Option<&str>,
    by: &str,
) -> Result<Erased, StoreError> {
    let site = site_id.0;
    let sqlite = db.backend() == Backend::Sqlite;
    let mut tx = db.begin().await?;
    if sqlite {
        tx.execute("PRAGMA secure_delete = ON", Vec::new()).await?;
    }
    let erased = erase_in(&mut tx, site, phone, user_id, by).await;
    if sqlite {
        // The flag belongs to the pooled connection: off again for the next user. The
        // deletes above have been made with it.
        tx.execute("PRAGMA secure_delete = OFF", Vec::new()).await?;
    }
    let erased = erased?;
    tx.commit().await?;
    if sqlite {
        // Earlier versions of the pages stay in the write-ahead log until a checkpoint
        // resets it; readers busy at this moment may keep it from being truncated now.
        let done: Option<(i64, i64, i64)> = db
            .fetch_optional("PRAGMA wal_checkpoint(TRUNCATE)", Vec::new())
            .await?;
        if done.is_some_and(|(busy, _, _)| busy != 0) {
            tracing::warn!(erasure_id = %erased.erasure_id, "erasure: the write-ahead log \
                was busy and keeps older pages until its next checkpoint");
        }
    }
    tracing::info!(
        site_id = %site,
        erasure_id = %erased.erasure_id,
        requested_by = by,
        contacts = erased.contacts,
        dialogs = erased.dialogs,
        messages = erased.messages,
        statuses = erased.statuses,
        sessions = erased.sessions,
        clicks = erased.clicks,
        visitors = erased.visitors,
        "contact erased"
    );
    Ok(erased)
}

async fn erase_in(
    tx: &mut Conn,
    site: Uuid,
    phone: Option<&str>,
    user_id: Option<&str>,
    by: &str,
) -> Result<Erased, sqlx::Error> {
    let mut e = Erased {
        erasure_id: Uuid::now_v7(),
        ..Erased::default()
    };
    let contacts: Vec<(Uuid, Option<String>)> = tx
        .fetch_all(
            "SELECT contact_id, phone FROM contacts WHERE site_id = $1 AND (phone = $2 \
             OR identity = $2 OR provider_user_id = $3 OR identity = $4)",
            args![site, phone, user_id, user_id.map(|u| format!("user:{u}"))],
        )
        .await?;
    let ids: Vec<Uuid> = contacts.iter().map(|c| c.0).collect();
    let mut phones: Vec<String> = contacts.iter().filter_map(|c| c.1.clone()).collect();
    phones.extend(phone.map(str::to_owned));
    phones.sort();
    phones.dedup();
    let dialogs = ids_in(
        tx,
        "SELECT dialog_id FROM dialogs WHERE site_id = $1 AND contact_id",
        site,
        &ids,
    )
    .await?;
    // The browsers the dialogs came from, and every visit and click of theirs.
    let linked: Vec<Uuid> = ids_in(
        tx,
        "SELECT s.visitor_id FROM dialogs d JOIN sessions s ON s.site_id = d.site_id \
         AND s.session_id = d.session_id WHERE d.site_id = $1 AND d.dialog_id",
        site,
        &dialogs,
    )
    .await?;
    let mut visitors = linked;
    visitors.extend(
        ids_in(
            tx,
            "SELECT c.visitor_id FROM dialogs d JOIN clicks c ON c.site_id = d.site_id \
             AND c.click_id = d.click_id WHERE d.site_id = $1 AND d.dialog_id",
            site,
            &dialogs,
        )
        .await?,
    );
    visitors.sort();
    visitors.dedup();
    let sessions = ids_in(
        tx,
        "SELECT session_id FROM sessions WHERE site_id = $1 AND visitor_id",
        site,
        &visitors,
    )
    .await?;
    let clicks = ids_in(
        tx,
        "SELECT click_id FROM clicks WHERE site_id = $1 AND visitor_id",
        site,
        &visitors,
    )
    .await?;
    // Dialogs of anyone that came from those visits lose their link to them too.
    let mut touched = dialogs.clone();
    touched.extend(
        ids_in(
            tx,
            "SELECT dialog_id FROM dialogs WHERE site_id = $1 AND session_id",
            site,
            &sessions,
        )
        .await?,
    );
    touched.extend(
        ids_in(
            tx,
            "SELECT dialog_id FROM dialogs WHERE site_id = $1 AND click_id",
            site,
            &clicks,
        )
        .await?,
    );
    touched.sort();
    touched.dedup();

    let mut delta = RollupDelta::default();
    delta.count_out(tx, site, Fact::Sessions, &sessions).await?;
    delta.count_out(tx, site, Fact::Clicks, &clicks).await?;
    delta.count_out(tx, site, Fact::Dialogs, &touched).await?;

    let del =
        |table: &str, column: &str| format!("DELETE FROM {table} WHERE site_id = $1 AND {column}");
    in_chunks(tx, &del("pageviews", "session_id"), site, &sessions).await?;
    e.clicks = in_chunks(tx, &del("clicks", "click_id"), site, &clicks).await? as i64;
    e.sessions = in_chunks(tx, &del("sessions", "session_id"), site, &sessions).await? as i64;
    e.visitors = in_chunks(tx, &del("visitors", "visitor_id"), site, &visitors).await? as i64;
    in_chunks(
        tx,
        "UPDATE dialogs SET session_id = NULL, click_id = NULL WHERE site_id = $1 AND dialog_id",
        site,
        &touched,
    )
    .await?;
    let mut referrals = ids_in(
        tx,
        "SELECT r.referral_id FROM referrals r JOIN messages m ON m.site_id = r.site_id \
         AND m.provider = r.provider AND m.provider_message_id = r.provider_message_id \
         WHERE r.site_id = $1 AND m.contact_id",
        site,
        &ids,
    )
    .await?;
    referrals.extend(
        ids_in(
            tx,
            "SELECT referral_id FROM dialogs WHERE site_id = $1 AND referral_id IS NOT NULL \
         AND dialog_id",
            site,
            &dialogs,
        )
        .await?,
    );
    referrals.sort();
    referrals.dedup();
    e.dialogs = in_chunks(
        tx,
        "UPDATE dialogs SET first_message = NULL, code = NULL, referral_id = NULL \
         WHERE site_id = $1 AND dialog_id",
        site,
        &dialogs,
    )
    .await? as i64;
    in_chunks(tx, &del("referrals", "referral_id"), site, &referrals).await?;
    in_chunks(tx, &del("dialog_tags", "dialog_id"), site, &dialogs).await?;
    // What the message rollups counted of the messages and statuses deleted below.
    let mut counts = MessageDelta::default();
    counts
        .messages_out(tx, site, "contact_id", &ids, None)
        .await?;
    e.messages = in_chunks(tx, &del("messages", "contact_id"), site, &ids).await? as i64;
    counts
        .messages_out(tx, site, "dialog_id", &dialogs, None)
        .await?;
    e.messages += in_chunks(tx, &del("messages", "dialog_id"), site, &dialogs).await? as i64;
    for p in &phones {
        let system = format!("%{p}%");
        let system_cond = "m.message_type = 'system' AND m.body LIKE $2";
        let (system_arg, phone_arg) = ([Arg::from(&system)], [Arg::from(p)]);
        counts
            .collect(tx, site, Some(system_cond), None, &system_arg, -1)
            .await?;
        counts
            .collect(tx, site, None, Some("ms.recipient = $2"), &phone_arg, -1)
            .await?;
        e.statuses += tx
            .execute(
                "DELETE FROM message_statuses WHERE site_id = $1 AND recipient = $2",
                args![site, p],
            )
            .await? as i64;
        // A number change is told by a system message naming both numbers.
        e.messages += tx
            .execute(
                "DELETE FROM messages WHERE site_id = $1 AND message_type = 'system' \
                 AND body LIKE $2",
                args![site, system],
            )
            .await? as i64;
    }
    for id in &ids {
        tx.execute(
            "UPDATE contacts SET identity = $3, phone = NULL, provider_user_id = NULL, \
             name = NULL, name_folded = NULL, username = NULL \
             WHERE site_id = $1 AND contact_id = $2",
            args![site, *id, format!("erased:{}", Uuid::now_v7())],
        )
        .await?;
    }
    e.contacts = ids.len() as i64;

    delta.count_in(site, Fact::Dialogs, &touched);
    delta.write(tx).await?;
    counts.write(tx);
    tx.execute(
        "INSERT INTO erasures (site_id, erasure_id, erased_at, requested_by, contacts, \
         dialogs, messages, statuses, sessions, clicks, visitors) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        args![
            site,
            e.erasure_id,
            chrono::Utc::now().timestamp_millis(),
            by,
            e.contacts,
            e.dialogs,
            e.messages,
            e.statuses,
            e.sessions,
            e.clicks,
            e.visitors
        ],
    )
    .await?;
    Ok(e)
}

//! What a decision does to the contact's dialogs: continue one, make the message the first
//! of one, or start one (attributed).

use uuid::Uuid;

use super::attribution::{attribute_start, CodedSession};
use super::statuses::refresh_first_replies;
use crate::args;
use crate::db::Conn;
use crate::domain::conversion::{Event, EventKind};
use crate::domain::dialog::{DialogKind, MatchKind};
use crate::domain::inbound::InboundMessage;
use crate::domain::now_ms;
use crate::matching::{ContactDialog, DialogPolicy};
use crate::reports::query::Fact;
use crate::reports::rollups::RollupDelta;

/// What a message that starts (or turns out to start) a dialog brings to it.
pub struct Start<'a> {
    pub m: &'a InboundMessage,
    pub contact_id: Uuid,
    pub coded: Option<&'a CodedSession>,
    pub referral_id: Option<Uuid>,
    pub policy: &'a DialogPolicy,
}

/// Appends the message to `dialog_id`; the contact's own code confirms a probable match to
/// the same session, which becomes exact.
pub async fn continue_dialog(
    tx: &mut Conn,
    m: &InboundMessage,
    dialog_id: Uuid,
    before: Option<&ContactDialog>,
    coded: Option<&CodedSession>,
    delta: &mut RollupDelta,
) -> Result<(), sqlx::Error> {
    let site_id = m.site_id.0;
    tx.defer(
        "UPDATE dialogs SET last_message_at = CASE WHEN $3 > last_message_at \
         THEN $3 ELSE last_message_at END WHERE site_id = $1 AND dialog_id = $2",
        args![site_id, dialog_id, m.sent_at_ms],
    );
    let (Some(d), Some(coded)) = (before, coded) else {
        return Ok(());
    };
    if d.match_kind != MatchKind::Probable || d.session_id != Some(coded.session_id) {
        return Ok(());
    }
    delta
        .count_out(tx, site_id, Fact::Dialogs, &[dialog_id])
        .await?;
    tx.defer(
        "UPDATE dialogs SET match_kind = $3, code = $4, confidence = 1.0 \
         WHERE site_id = $1 AND dialog_id = $2",
        args![site_id, dialog_id, MatchKind::Exact.as_str(), &coded.code],
    );
    let matched = Event::new(EventKind::DialogMatched, site_id, dialog_id, now_ms());
    crate::storage::conversions::record(tx, &matched).await?;
    delta.count_in(site_id, Fact::Dialogs, &[dialog_id]);
    Ok(())
}

/// Makes the message the first of `dialog` (which a later message, or one of the same
/// instant, started), which takes the code or ad it lacked from it.
pub async fn prepend_to_dialog(
    tx: &mut Conn,
    s: &Start<'_>,
    dialog: Option<&ContactDialog>,
    delta: &mut RollupDelta,
) -> Result<(), sqlx::Error> {
    let m = s.m;
    let site_id = m.site_id.0;
    let Some(dialog_id) = dialog.map(|d| d.dialog_id) else {
        return Ok(());
    };
    delta
        .count_out(tx, site_id, Fact::Dialogs, &[dialog_id])
        .await?;
    tx.defer(
        "UPDATE dialogs SET started_at = $3, first_message = $4 \
         WHERE site_id = $1 AND dialog_id = $2",
        args![site_id, dialog_id, m.sent_at_ms, &m.text],
    );
    refresh_first_replies(tx, site_id, &[dialog_id]);
    let unattributed = dialog.is_some_and(ContactDialog::is_unattributed);
    if unattributed && (s.coded.is_some() || m.referral.is_some()) {
        let found = attribute_start(tx, m, s.contact_id, s.coded, s.policy, delta).await?;
        let clicks: Vec<Uuid> = found.click_id.into_iter().collect();
        delta
            .count_out(tx, site_id, Fact::ChatClicks, &clicks)
            .await?;
        tx.defer(
            "UPDATE dialogs SET match_kind = $3, code = $4, confidence = $5, \
             session_id = $6, click_id = $7 WHERE site_id = $1 AND dialog_id = $2",
            args![
                site_id,
                dialog_id,
                found.kind.as_str(),
                found.code,
                found.confidence,
                found.session_id,
                found.click_id
            ],
        );
        delta.count_in(site_id, Fact::ChatClicks, &clicks);
        if found.kind != MatchKind::None {
            let matched = Event::new(EventKind::DialogMatched, site_id, dialog_id, now_ms());
            crate::storage::conversions::record(tx, &matched).await?;
        }
    }
    if dialog.is_some_and(|d| d.referral_id.is_none()) && s.referral_id.is_some() {
        tx.defer(
            "UPDATE dialogs SET referral_id = $3 WHERE site_id = $1 AND dialog_id = $2",
            args![site_id, dialog_id, s.referral_id],
        );
    }
    delta.count_in(site_id, Fact::Dialogs, &[dialog_id]);
    Ok(())
}

/// Starts a dialog with the message, attributed; `first` if the contact has none before
/// it. When `later_exist`, the contact's dialogs after it become repeats. Its id.
pub async fn start_dialog(
    tx: &mut Conn,
    s: &Start<'_>,
    first: bool,
    later_exist: bool,
    delta: &mut RollupDelta,
) -> Result<Uuid, sqlx::Error> {
    let m = s.m;
    let site_id = m.site_id.0;
    let found = attribute_start(tx, m, s.contact_id, s.coded, s.policy, delta).await?;
    let dialog_id = Uuid::now_v7();
    let kind = if first {
        DialogKind::New
    } else {
        DialogKind::Repeat
    };
    if later_exist {
        // A late message started the contact's first dialog: the ones after it are repeats.
        let later: Vec<(Uuid,)> = tx
            .fetch_all(
                "SELECT dialog_id FROM dialogs WHERE site_id = $1 AND contact_id = $2 \
                 AND started_at > $3 AND kind = $4",
                args![
                    site_id,
                    s.contact_id,
                    m.sent_at_ms,
                    DialogKind::New.as_str()
                ],
            )
            .await?;
        let later: Vec<Uuid> = later.into_iter().map(|(d,)| d).collect();
        delta.count_out(tx, site_id, Fact::Dialogs, &later).await?;
        for later_id in &later {
            tx.defer(
                "UPDATE dialogs SET kind = $3 WHERE site_id = $1 AND dialog_id = $2 \
                 AND kind = $4",
                args![
                    site_id,
                    *later_id,
                    DialogKind::Repeat.as_str(),
                    DialogKind::New.as_str()
                ],
            );
        }
        delta.count_in(site_id, Fact::Dialogs, &later);
    }
    let clicks: Vec<Uuid> = found.click_id.into_iter().collect();
    delta
        .count_out(tx, site_id, Fact::ChatClicks, &clicks)
        .await?;
    tx.defer(
        "INSERT INTO dialogs (site_id, dialog_id, contact_id, kind, started_at, \
         last_message_at, business_number, first_message, match_kind, code, \
         confidence, session_id, click_id, referral_id) \
         VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        args![
            site_id,
            dialog_id,
            s.contact_id,
            kind.as_str(),
            m.sent_at_ms,
            &m.business_number,
            &m.text,
            found.kind.as_str(),
            found.code,
            found.confidence,
            found.session_id,
            found.click_id,
            s.referral_id,
        ],
    );
    refresh_first_replies(tx, site_id, &[dialog_id]);
    delta.count_in(site_id, Fact::Dialogs, &[dialog_id]);
    delta.count_in(site_id, Fact::ChatClicks, &clicks);
    let started = Event::new(EventKind::DialogStarted, site_id, dialog_id, now_ms());
    crate::storage::conversions::record(tx, &started).await?;
    Ok(dialog_id)
}

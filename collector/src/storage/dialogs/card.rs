//! The per-dialog source card: the dialog, its contact, how it was matched, its ad, its
//! session and the visitor's first touch, the page of contact, tags and earlier dialogs.

use uuid::Uuid;

use crate::args;
use crate::db::{Conn, Db, StoreError};
use crate::domain::site::SiteId;
use crate::storage::records::{DialogRow, ThreadMessage, VisitorView};
use crate::storage::{ContactView, HistoryEntry, MatchView, ReferralView, SessionView, SourceCard};

/// Columns of a [`SessionView`] of session `$2` of site `$1`.
const SELECT_SESSION: &str = "SELECT session_id, visitor_id, started_at, landing_page, \
    referrer, referring_domain, channel, source, keyword, utm_source, utm_medium, \
    utm_campaign, utm_content, utm_term, click_ids, pageviews, os, os_version, browser, \
    browser_version, device, screen_w, screen_h, language, timezone, country, region, city, \
    ga_client_id, ga_session_id, ym_client_id, ads_denied IS NULL AS ads_consent \
    FROM sessions WHERE site_id = $1 AND session_id = $2";

/// The source card of one dialog of a site.
pub async fn source_card(
    db: &Db,
    site_id: SiteId,
    dialog_id: Uuid,
) -> Result<Option<SourceCard>, StoreError> {
    let site = site_id.0;
    let mut conn = db.read().await?;
    let dialog: Option<DialogRow> = conn
        .fetch_optional(
            "SELECT dialog_id, kind, started_at, last_message_at, first_message, \
             business_number, contact_id, session_id, click_id, referral_id FROM dialogs \
             WHERE site_id = $1 AND dialog_id = $2",
            args![site, dialog_id],
        )
        .await?;
    let Some(dialog) = dialog else {
        return Ok(None);
    };
    let contact: ContactView = conn
        .fetch_one(
            "SELECT contact_id, channel, name, phone, provider_user_id, username FROM contacts \
             WHERE site_id = $1 AND contact_id = $2",
            args![site, dialog.contact_id],
        )
        .await?;
    let matched: MatchView = conn
        .fetch_one(
            "SELECT match_kind AS kind, code, confidence FROM dialogs \
             WHERE site_id = $1 AND dialog_id = $2",
            args![site, dialog.dialog_id],
        )
        .await?;
    let referral: Option<ReferralView> = match dialog.referral_id {
        Some(referral_id) => {
            conn.fetch_optional(
                "SELECT source_id, source_url, source_type, headline, body, media_type, \
                 image_url, video_url, thumbnail_url, ctwa_clid, welcome_message \
                 FROM referrals WHERE site_id = $1 AND referral_id = $2",
                args![site, referral_id],
            )
            .await?
        }
        None => None,
    };
    let tags: Vec<(String,)> = conn
        .fetch_all(
            "SELECT tag FROM dialog_tags WHERE site_id = $1 AND dialog_id = $2 ORDER BY tag",
            args![site, dialog.dialog_id],
        )
        .await?;
    let session: Option<SessionView> = match dialog.session_id {
        Some(session_id) => {
            conn.fetch_optional(SELECT_SESSION, args![site, session_id])
                .await?
        }
        None => None,
    };
    let click: Option<(String, i64)> = match dialog.click_id {
        Some(click_id) => {
            conn.fetch_optional(
                "SELECT page_url, clicked_at FROM clicks WHERE site_id = $1 AND click_id = $2",
                args![site, click_id],
            )
            .await?
        }
        None => None,
    };
    let visitor = match &session {
        Some(s) => visitor(&mut conn, site, s, dialog.started_at).await?,
        None => None,
    };
    let history: Vec<HistoryEntry> = conn
        .fetch_all(
            "SELECT d.dialog_id, d.started_at, d.match_kind, s.channel, s.source, \
             s.utm_source, s.utm_campaign, r.source_id AS ad_source_id, \
             r.headline AS ad_headline FROM dialogs d \
             LEFT JOIN sessions s ON s.site_id = d.site_id AND s.session_id = d.session_id \
             LEFT JOIN referrals r ON r.site_id = d.site_id AND r.referral_id = d.referral_id \
             WHERE d.site_id = $1 AND d.contact_id = $2 AND d.dialog_id <> $3 \
             AND d.started_at <= $4 ORDER BY d.started_at DESC LIMIT 50",
            args![site, dialog.contact_id, dialog.dialog_id, dialog.started_at],
        )
        .await?;
    let messages = thread(&mut conn, site, &dialog, contact.phone.as_deref()).await?;
    let outcome = super::outcome::outcome(&mut conn, site, dialog.dialog_id)
        .await?
        .ok_or(sqlx::Error::RowNotFound)?;
    let (page_of_contact, clicked_at) = click.unzip();
    Ok(Some(SourceCard {
        dialog,
        contact,
        matched,
        referral,
        tags: tags.into_iter().map(|(t,)| t).collect(),
        session,
        page_of_contact,
        clicked_at,
        visitor,
        history,
        messages,
        outcome,
    }))
}

/// Most messages a card shows.
const THREAD_MAX: usize = 200;

/// The dialog's messages, oldest first: the contact's (`messages`), and those the business
/// sent the contact's phone from the dialog's start until the contact's next dialog, from
/// their delivery statuses.
async fn thread(
    conn: &mut Conn,
    site: Uuid,
    dialog: &DialogRow,
    phone: Option<&str>,
) -> Result<Vec<ThreadMessage>, sqlx::Error> {
    let mut messages: Vec<ThreadMessage> = conn
        .fetch_all(
            "SELECT sent_at AS at, 'in' AS direction, body AS text, \
             CAST(NULL AS TEXT) AS status FROM messages \
             WHERE site_id = $1 AND dialog_id = $2 ORDER BY sent_at LIMIT 200",
            args![site, dialog.dialog_id],
        )
        .await?;
    if let Some(phone) = phone {
        let at = "COALESCE(sent_at, delivered_at, read_at, played_at, failed_at, status_at)";
        let sent: Vec<ThreadMessage> = conn
            .fetch_all(
                &format!(
                    "SELECT {at} AS at, 'out' AS direction, CAST(NULL AS TEXT) AS text, status \
                     FROM message_statuses WHERE site_id = $1 AND recipient = $2 \
                     AND {at} >= $3 AND {at} < COALESCE((SELECT MIN(d.started_at) \
                     FROM dialogs d WHERE d.site_id = $1 AND d.contact_id = $4 \
                     AND d.started_at > $3), {}) ORDER BY 1 LIMIT 200",
                    i64::MAX
                ),
                args![site, phone, dialog.started_at, dialog.contact_id],
            )
            .await?;
        messages.extend(sent);
    }
    messages.sort_by_key(|m| m.at);
    messages.truncate(THREAD_MAX);
    Ok(messages)
}

/// The visitor of session `s`: first touch, sessions up to the chat, time to chat.
async fn visitor(
    conn: &mut Conn,
    site: Uuid,
    s: &SessionView,
    dialog_started_at: i64,
) -> Result<Option<VisitorView>, sqlx::Error> {
    let first: Option<(i64, Uuid)> = conn
        .fetch_optional(
            "SELECT first_seen_at, first_session_id FROM visitors \
             WHERE site_id = $1 AND visitor_id = $2",
            args![site, s.visitor_id],
        )
        .await?;
    let Some((first_seen_at, first_session_id)) = first else {
        return Ok(None);
    };
    let first_touch: Option<SessionView> = conn
        .fetch_optional(SELECT_SESSION, args![site, first_session_id])
        .await?;
    // Up to the session the chat came from, by the collector's own clock: the provider's
    // message time may be a second behind it.
    let (sessions_before_chat,): (i64,) = conn
        .fetch_one(
            "SELECT COUNT(*) FROM sessions WHERE site_id = $1 AND visitor_id = $2 \
             AND started_at <= $3",
            args![site, s.visitor_id, s.started_at],
        )
        .await?;
    Ok(Some(VisitorView {
        visitor_id: s.visitor_id,
        first_seen_at,
        first_touch,
        sessions_before_chat,
        seconds_to_chat: (dialog_started_at - first_seen_at).max(0) / 1000,
    }))
}

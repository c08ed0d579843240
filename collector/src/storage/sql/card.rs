//! Reads: the per-dialog source card.

/// Columns of a [`SessionView`](crate::storage::SessionView).
macro_rules! SELECT_SESSION {
    () => {
        "SELECT session_id, visitor_id, started_at, landing_page, referrer, referring_domain, \
         channel, source, keyword, utm_source, utm_medium, utm_campaign, utm_content, utm_term, click_ids, \
         pageviews, os, os_version, browser, browser_version, device, screen_w, screen_h, \
         language, timezone, country, region, city FROM sessions \
         WHERE site_id = $1 AND session_id = $2"
    };
}
pub(crate) use SELECT_SESSION;

/// Body of `Store::source_card`.
macro_rules! source_card {
    ($pool:expr, $site_id:expr, $dialog_id:expr) => {{
        use $crate::storage::records::{DialogRow, VisitorView};
        use $crate::storage::{
            ContactView, HistoryEntry, MatchView, ReferralView, SessionView, SourceCard,
        };
        let site_id: uuid::Uuid = $site_id;
        let pool = &$pool;
        let dialog: Option<DialogRow> = sqlx::query_as(
            "SELECT dialog_id, kind, started_at, last_message_at, first_message, business_number, \
             contact_id, session_id, click_id, referral_id FROM dialogs \
             WHERE site_id = $1 AND dialog_id = $2",
        )
        .bind(site_id)
        .bind($dialog_id)
        .fetch_optional(pool)
        .await?;
        let Some(dialog) = dialog else {
            return Ok(None);
        };
        let contact: ContactView = sqlx::query_as(
            "SELECT contact_id, channel, name, phone, provider_user_id, username FROM contacts \
             WHERE site_id = $1 AND contact_id = $2",
        )
        .bind(site_id)
        .bind(dialog.contact_id)
        .fetch_one(pool)
        .await?;
        let matched: MatchView = sqlx::query_as(
            "SELECT match_kind AS kind, code, confidence FROM dialogs \
             WHERE site_id = $1 AND dialog_id = $2",
        )
        .bind(site_id)
        .bind(dialog.dialog_id)
        .fetch_one(pool)
        .await?;
        let referral: Option<ReferralView> = match dialog.referral_id {
            Some(referral_id) => {
                sqlx::query_as(
                    "SELECT source_id, source_url, source_type, headline, body, media_type, \
                     image_url, video_url, thumbnail_url, ctwa_clid, welcome_message \
                     FROM referrals WHERE site_id = $1 AND referral_id = $2",
                )
                .bind(site_id)
                .bind(referral_id)
                .fetch_optional(pool)
                .await?
            }
            None => None,
        };
        let tags: Vec<(String,)> = sqlx::query_as(
            "SELECT tag FROM dialog_tags WHERE site_id = $1 AND dialog_id = $2 ORDER BY tag",
        )
        .bind(site_id)
        .bind(dialog.dialog_id)
        .fetch_all(pool)
        .await?;
        let session: Option<SessionView> = match dialog.session_id {
            Some(session_id) => {
                sqlx::query_as($crate::storage::sql::card::SELECT_SESSION!())
                    .bind(site_id)
                    .bind(session_id)
                    .fetch_optional(pool)
                    .await?
            }
            None => None,
        };
        let click: Option<(String, i64)> =
            match dialog.click_id {
                Some(click_id) => sqlx::query_as(
                    "SELECT page_url, clicked_at FROM clicks WHERE site_id = $1 AND click_id = $2",
                )
                .bind(site_id)
                .bind(click_id)
                .fetch_optional(pool)
                .await?,
                None => None,
            };
        let visitor = match &session {
            Some(s) => {
                let first: Option<(i64, uuid::Uuid)> = sqlx::query_as(
                    "SELECT first_seen_at, first_session_id FROM visitors \
                     WHERE site_id = $1 AND visitor_id = $2",
                )
                .bind(site_id)
                .bind(s.visitor_id)
                .fetch_optional(pool)
                .await?;
                match first {
                    Some((first_seen_at, first_session_id)) => {
                        let first_touch: Option<SessionView> =
                            sqlx::query_as($crate::storage::sql::card::SELECT_SESSION!())
                                .bind(site_id)
                                .bind(first_session_id)
                                .fetch_optional(pool)
                                .await?;
                        // Up to the session the chat came from, by the collector's own clock:
                        // the provider's message time may be a second behind it.
                        let (sessions_before_chat,): (i64,) = sqlx::query_as(
                            "SELECT COUNT(*) FROM sessions WHERE site_id = $1 AND visitor_id = $2 \
                             AND started_at <= $3",
                        )
                        .bind(site_id)
                        .bind(s.visitor_id)
                        .bind(s.started_at)
                        .fetch_one(pool)
                        .await?;
                        Some(VisitorView {
                            visitor_id: s.visitor_id,
                            first_seen_at,
                            first_touch,
                            sessions_before_chat,
                            seconds_to_chat: (dialog.started_at - first_seen_at).max(0) / 1000,
                        })
                    }
                    None => None,
                }
            }
            None => None,
        };
        let history: Vec<HistoryEntry> = sqlx::query_as(
            "SELECT d.dialog_id, d.started_at, d.match_kind, s.channel, s.source, s.utm_source, \
             s.utm_campaign, r.source_id AS ad_source_id, r.headline AS ad_headline \
             FROM dialogs d \
             LEFT JOIN sessions s ON s.site_id = d.site_id AND s.session_id = d.session_id \
             LEFT JOIN referrals r ON r.site_id = d.site_id AND r.referral_id = d.referral_id \
             WHERE d.site_id = $1 AND d.contact_id = $2 AND d.dialog_id <> $3 \
             AND d.started_at <= $4 ORDER BY d.started_at DESC LIMIT 50",
        )
        .bind(site_id)
        .bind(dialog.contact_id)
        .bind(dialog.dialog_id)
        .bind(dialog.started_at)
        .fetch_all(pool)
        .await?;
        let (page_of_contact, clicked_at) = match click {
            Some((page, at)) => (Some(page), Some(at)),
            None => (None, None),
        };
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
        }))
    }};
}
pub(crate) use source_card;

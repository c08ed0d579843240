//! Writes: beacon batches and inbound messages.

/// Inserts one visit (visitor, session, page view) inside transaction `$tx`.
macro_rules! insert_visit {
    ($tx:ident, $v:expr) => {{
        let v: &$crate::domain::visit::Visit = $v;
        let site_id = v.site_id.0;
        sqlx::query(
            "INSERT INTO visitors (site_id, visitor_id, first_seen_at, last_seen_at, first_session_id) \
             VALUES ($1, $2, $3, $3, $4) \
             ON CONFLICT (site_id, visitor_id) DO UPDATE SET last_seen_at = CASE \
             WHEN excluded.last_seen_at > visitors.last_seen_at THEN excluded.last_seen_at \
             ELSE visitors.last_seen_at END",
        )
        .bind(site_id)
        .bind(v.visitor_id)
        .bind(v.at_ms)
        .bind(v.session_id)
        .execute(&mut *$tx)
        .await?;
        let a = &v.attribution;
        let d = &v.device;
        sqlx::query(
            "INSERT INTO sessions (site_id, session_id, visitor_id, code, started_at, last_seen_at, \
             pageviews, landing_page, referrer, referring_domain, utm_source, utm_medium, \
             utm_campaign, utm_content, utm_term, click_ids, channel, os, os_version, browser, \
             browser_version, device, screen_w, screen_h, language, timezone, source, keyword, \
             country, region, city) \
             VALUES ($1, $2, $3, $4, $5, $5, 1, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, \
             $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29) \
             ON CONFLICT (site_id, session_id) DO UPDATE SET pageviews = sessions.pageviews + 1, \
             last_seen_at = CASE WHEN excluded.last_seen_at > sessions.last_seen_at \
             THEN excluded.last_seen_at ELSE sessions.last_seen_at END",
        )
        .bind(site_id)
        .bind(v.session_id)
        .bind(v.visitor_id)
        .bind(v.code.as_str())
        .bind(v.at_ms)
        .bind(&v.url)
        .bind(&v.referrer)
        .bind(&v.referrer_domain)
        .bind(&a.utm_source)
        .bind(&a.utm_medium)
        .bind(&a.utm_campaign)
        .bind(&a.utm_content)
        .bind(&a.utm_term)
        .bind(a.click_ids_json())
        .bind(&v.channel)
        .bind(&d.os)
        .bind(&d.os_version)
        .bind(&d.browser)
        .bind(&d.browser_version)
        .bind(&d.category)
        .bind(v.screen_w)
        .bind(v.screen_h)
        .bind(&v.language)
        .bind(&v.timezone)
        .bind(&v.source)
        .bind(&v.keyword)
        .bind(&v.region.country)
        .bind(&v.region.region)
        .bind(&v.region.city)
        .execute(&mut *$tx)
        .await?;
        sqlx::query(
            "INSERT INTO pageviews (site_id, pageview_id, session_id, url, viewed_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(site_id)
        .bind(uuid::Uuid::now_v7())
        .bind(v.session_id)
        .bind(&v.url)
        .bind(v.at_ms)
        .execute(&mut *$tx)
        .await?;
    }};
}
pub(crate) use insert_visit;

/// Inserts one click inside transaction `$tx`.
macro_rules! insert_click {
    ($tx:ident, $c:expr) => {{
        let c: &$crate::domain::visit::Click = $c;
        sqlx::query(
            "INSERT INTO clicks (site_id, click_id, session_id, visitor_id, code, number, kind, \
             page_url, clicked_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (site_id, click_id) DO NOTHING",
        )
        .bind(c.site_id.0)
        .bind(c.click_id)
        .bind(c.session_id)
        .bind(c.visitor_id)
        .bind(c.code.as_str())
        .bind(&c.number)
        .bind(&c.kind)
        .bind(&c.page_url)
        .bind(c.at_ms)
        .execute(&mut *$tx)
        .await?;
    }};
}
pub(crate) use insert_click;

/// Body of `Store::ingest_message`: the message row is inserted first, so its unique key
/// serialises concurrent deliveries of the same message before any dialog is touched.
macro_rules! ingest_message {
    ($pool:expr, $m:expr, $policy:expr) => {{
        use $crate::matching::{decide, DialogDecision, PriorDialog};
        let m: &$crate::domain::inbound::InboundMessage = $m;
        let site_id = m.site_id.0;
        let mut tx = $pool.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO messages (site_id, provider, provider_message_id, message_type, body, \
             sent_at, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (site_id, provider, provider_message_id) DO NOTHING",
        )
        .bind(site_id)
        .bind(m.provider)
        .bind(&m.provider_message_id)
        .bind(&m.message_type)
        .bind(&m.text)
        .bind(m.sent_at_ms)
        .bind($crate::domain::now_ms())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            tx.rollback().await?;
            return Ok($crate::storage::IngestOutcome::Duplicate);
        }
        let (contact_id,): (uuid::Uuid,) = sqlx::query_as(
            "INSERT INTO contacts (site_id, contact_id, channel, identity, phone, provider_user_id, \
             name, first_seen_at, last_seen_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) \
             ON CONFLICT (site_id, channel, identity) DO UPDATE SET \
             name = COALESCE(excluded.name, contacts.name), \
             phone = COALESCE(excluded.phone, contacts.phone), \
             provider_user_id = COALESCE(excluded.provider_user_id, contacts.provider_user_id), \
             last_seen_at = CASE WHEN excluded.last_seen_at > contacts.last_seen_at \
             THEN excluded.last_seen_at ELSE contacts.last_seen_at END \
             RETURNING contact_id",
        )
        .bind(site_id)
        .bind(uuid::Uuid::now_v7())
        .bind(m.contact.channel)
        .bind(m.contact.identity())
        .bind(&m.contact.phone)
        .bind(&m.contact.user_id)
        .bind(&m.contact.name)
        .bind(m.sent_at_ms)
        .fetch_one(&mut *tx)
        .await?;
        let mut matched: Option<(uuid::Uuid, chatrail_core::code::SessionCode)> = None;
        for code in m.codes() {
            let session: Option<(uuid::Uuid,)> = sqlx::query_as(
                "SELECT session_id FROM sessions WHERE site_id = $1 AND code = $2 \
                 AND started_at >= $3 ORDER BY started_at DESC LIMIT 1",
            )
            .bind(site_id)
            .bind(code.as_str())
            .bind(m.sent_at_ms - $policy.code_lookback_ms)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some((session_id,)) = session {
                matched = Some((session_id, code));
                break;
            }
        }
        let prior: Option<PriorDialog> = sqlx::query_as(
            "SELECT dialog_id, session_id, last_message_at FROM dialogs \
             WHERE site_id = $1 AND contact_id = $2 ORDER BY started_at DESC LIMIT 1",
        )
        .bind(site_id)
        .bind(contact_id)
        .fetch_optional(&mut *tx)
        .await?;
        let decision = decide(prior.as_ref(), matched.map(|(s, _)| s), m.sent_at_ms, $policy);
        let (dialog_id, started_dialog) = match decision {
            DialogDecision::Continue(dialog_id) => {
                sqlx::query(
                    "UPDATE dialogs SET last_message_at = CASE WHEN $3 > last_message_at \
                     THEN $3 ELSE last_message_at END WHERE site_id = $1 AND dialog_id = $2",
                )
                .bind(site_id)
                .bind(dialog_id)
                .bind(m.sent_at_ms)
                .execute(&mut *tx)
                .await?;
                (dialog_id, false)
            }
            DialogDecision::Start => {
                let click: Option<(uuid::Uuid,)> = match matched {
                    Some((session_id, _)) => {
                        sqlx::query_as(
                            "SELECT click_id FROM clicks WHERE site_id = $1 AND session_id = $2 \
                             AND number = $3 ORDER BY clicked_at DESC LIMIT 1",
                        )
                        .bind(site_id)
                        .bind(session_id)
                        .bind(&m.business_number)
                        .fetch_optional(&mut *tx)
                        .await?
                    }
                    None => None,
                };
                let dialog_id = uuid::Uuid::now_v7();
                let kind = if prior.is_some() { "repeat" } else { "new" };
                let (match_kind, confidence) = match matched {
                    Some(_) => ("exact", Some(1.0_f64)),
                    None => ("none", None),
                };
                sqlx::query(
                    "INSERT INTO dialogs (site_id, dialog_id, contact_id, kind, started_at, \
                     last_message_at, business_number, first_message, match_kind, code, \
                     confidence, session_id, click_id) \
                     VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8, $9, $10, $11, $12)",
                )
                .bind(site_id)
                .bind(dialog_id)
                .bind(contact_id)
                .bind(kind)
                .bind(m.sent_at_ms)
                .bind(&m.business_number)
                .bind(&m.text)
                .bind(match_kind)
                .bind(matched.map(|(_, code)| code.as_str().to_owned()))
                .bind(confidence)
                .bind(matched.map(|(s, _)| s))
                .bind(click.map(|(c,)| c))
                .execute(&mut *tx)
                .await?;
                (dialog_id, true)
            }
        };
        sqlx::query(
            "UPDATE messages SET dialog_id = $4, contact_id = $5 \
             WHERE site_id = $1 AND provider = $2 AND provider_message_id = $3",
        )
        .bind(site_id)
        .bind(m.provider)
        .bind(&m.provider_message_id)
        .bind(dialog_id)
        .bind(contact_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok($crate::storage::IngestOutcome::Stored {
            dialog_id,
            started_dialog,
        })
    }};
}
pub(crate) use ingest_message;

//! Writing a [`SyntheticBatch`] with multi-row inserts in one transaction, keeping the
//! rollups in step as every production write does.

use std::collections::HashMap;

use chatrail_core::links::LinkKind;
use uuid::Uuid;

use super::rows::{SyntheticBatch, SyntheticDialog, RECEIVED_AFTER_MS};
use crate::args;
use crate::db::{Db, StoreError};
use crate::domain::provider::{ChatChannel, Provider};
use crate::domain::site::SiteId;
use crate::reports::rollups::messages::MessageDelta;
use crate::reports::rollups::RollupDelta;
use crate::storage::{fold, refresh_first_replies};

/// The error Cloud API reports for a message it could not deliver.
const UNDELIVERABLE: &str =
    r#"[{"code":131026,"title":"Message undeliverable","message":"Message undeliverable"}]"#;

/// Writes synthetic rows for `site_id` in one transaction.
pub async fn insert(db: &Db, site_id: SiteId, batch: &SyntheticBatch) -> Result<(), StoreError> {
    let site = site_id.0;
    let mut tx = db.begin().await?;
    let mut delta = RollupDelta::default();
    let sessions = batch.sessions.iter().map(|s| s.session_id);
    let clicks = batch.clicks.iter().map(|c| c.click_id);
    let mut touched = delta.before_write(&mut tx, site, sessions, clicks).await?;
    touched
        .dialogs
        .extend(batch.dialogs.iter().map(|d| d.dialog_id));
    tx.insert_rows(
        "INSERT INTO visitors (site_id, visitor_id, first_seen_at, last_seen_at, \
         first_session_id)",
        "ON CONFLICT (site_id, visitor_id) DO NOTHING",
        batch
            .sessions
            .iter()
            .map(|s| args![site, s.visitor_id, s.started_at, s.started_at, s.session_id]),
    )
    .await?;
    tx.insert_rows(
        "INSERT INTO sessions (site_id, session_id, visitor_id, code, started_at, \
         last_seen_at, pageviews, landing_page, referrer, referring_domain, utm_source, \
         utm_medium, utm_campaign, utm_content, utm_term, click_ids, channel, source, keyword, \
         device, os, os_version, browser, browser_version, screen_w, screen_h, language, \
         timezone, country, region, city, landing_key)",
        "",
        batch.sessions.iter().map(|s| {
            args![
                site,
                s.session_id,
                s.visitor_id,
                &s.code,
                s.started_at,
                s.started_at,
                s.pageviews,
                &s.landing_page,
                &s.referrer,
                &s.referring_domain,
                &s.utm_source,
                &s.utm_medium,
                &s.utm_campaign,
                &s.utm_content,
                &s.utm_term,
                &s.click_ids,
                &s.channel,
                &s.source,
                &s.keyword,
                &s.device,
                &s.os,
                &s.os_version,
                &s.browser,
                &s.browser_version,
                s.screen_w,
                s.screen_h,
                &s.language,
                &s.timezone,
                &s.country,
                &s.region,
                &s.city,
                &s.landing_key,
            ]
        }),
    )
    .await?;
    tx.insert_rows(
        "INSERT INTO clicks (site_id, click_id, session_id, visitor_id, code, number, kind, \
         page_url, clicked_at, page_key)",
        "",
        batch.clicks.iter().map(|c| {
            args![
                site,
                c.click_id,
                c.session_id,
                c.visitor_id,
                &c.code,
                &c.number,
                LinkKind::WhatsAppScheme.as_str(),
                &c.page_url,
                c.clicked_at,
                &c.page_key,
            ]
        }),
    )
    .await?;
    tx.insert_rows(
        "INSERT INTO contacts (site_id, contact_id, channel, identity, phone, name, \
         first_seen_at, last_seen_at, name_folded)",
        "",
        batch.contacts.iter().map(|c| {
            args![
                site,
                c.contact_id,
                ChatChannel::WhatsApp.as_str(),
                &c.phone,
                &c.phone,
                &c.name,
                c.first_seen_at,
                c.first_seen_at,
                c.name.as_deref().map(fold),
            ]
        }),
    )
    .await?;
    let whatsapp = Provider::WhatsApp.as_str();
    tx.insert_rows(
        "INSERT INTO referrals (site_id, referral_id, provider, provider_message_id, \
         source_id, source_url, source_type, headline, body, media_type, ctwa_clid, \
         received_at)",
        "",
        batch.referrals.iter().map(|r| {
            args![
                site,
                r.referral_id,
                whatsapp,
                &r.provider_message_id,
                &r.source_id,
                &r.source_url,
                "ad",
                &r.headline,
                &r.body,
                "image",
                &r.ctwa_clid,
                r.received_at,
            ]
        }),
    )
    .await?;
    // A dialog's latest message is its contact's latest.
    let mut last: HashMap<Uuid, i64> = HashMap::with_capacity(batch.dialogs.len());
    for m in &batch.messages {
        let at = last.entry(m.dialog_id).or_insert(m.sent_at);
        *at = (*at).max(m.sent_at);
    }
    tx.insert_rows(
        "INSERT INTO dialogs (site_id, dialog_id, contact_id, kind, started_at, \
         last_message_at, business_number, first_message, match_kind, code, confidence, \
         session_id, click_id, referral_id)",
        "",
        batch.dialogs.iter().map(|d| {
            args![
                site,
                d.dialog_id,
                d.contact_id,
                d.kind.as_str(),
                d.started_at,
                last.get(&d.dialog_id)
                    .copied()
                    .unwrap_or(d.started_at)
                    .max(d.started_at),
                &d.business_number,
                &d.first_message,
                d.match_kind.as_str(),
                &d.code,
                d.confidence,
                d.session_id,
                d.click_id,
                d.referral_id,
            ]
        }),
    )
    .await?;
    tx.insert_rows(
        "INSERT INTO messages (site_id, provider, provider_message_id, dialog_id, contact_id, \
         message_type, body, sent_at, received_at)",
        "",
        batch.messages.iter().map(|m| {
            args![
                site,
                whatsapp,
                &m.provider_message_id,
                m.dialog_id,
                m.contact_id,
                "text",
                &m.body,
                m.sent_at,
                m.sent_at + RECEIVED_AFTER_MS,
            ]
        }),
    )
    .await?;
    tx.insert_rows(
        "INSERT INTO message_statuses (site_id, provider, provider_message_id, recipient, \
         status, status_rank, status_at, sent_at, delivered_at, read_at, failed_at, errors, \
         pricing_category, updated_at)",
        "",
        batch.statuses.iter().map(|s| {
            let (status, at) = s.latest();
            args![
                site,
                whatsapp,
                &s.provider_message_id,
                &s.recipient,
                status.as_str(),
                status.rank(),
                at,
                s.sent_at,
                s.delivered_at,
                s.read_at,
                s.failed_at,
                s.failed_at.map(|_| UNDELIVERABLE),
                "service",
                at,
            ]
        }),
    )
    .await?;
    let tags: Vec<(&SyntheticDialog, &String)> = batch
        .dialogs
        .iter()
        .flat_map(|d| d.tags.iter().map(move |t| (d, t)))
        .collect();
    tx.insert_rows(
        "INSERT INTO dialog_tags (site_id, dialog_id, tag, created_at, dialog_started_at)",
        "",
        tags.iter()
            .map(|(d, tag)| args![site, d.dialog_id, tag.as_str(), d.started_at, d.started_at]),
    )
    .await?;
    let dialogs: Vec<uuid::Uuid> = batch
        .dialogs
        .iter()
        .map(|d| d.dialog_id)
        .chain(batch.answered_earlier.iter().copied())
        .collect();
    refresh_first_replies(&mut tx, site, &dialogs);
    delta.after_write(site, &touched);
    delta.write(&mut tx).await?;
    let mut counts = MessageDelta::default();
    for m in &batch.messages {
        counts.received(site, m.sent_at, 1);
    }
    for s in &batch.statuses {
        let read = s.read_at.is_some();
        let flags = i64::from(read || s.delivered_at.is_some())
            + 2 * i64::from(read)
            + 4 * i64::from(s.failed_at.is_some());
        counts.status(site, s.sent_at, flags, 1);
    }
    counts.write(&mut tx);
    tx.commit().await?;
    Ok(())
}

//! Writing a [`SyntheticBatch`] with multi-row inserts in one transaction, keeping the
//! rollups in step as every production write does.

use chatrail_core::links::LinkKind;

use super::rows::{SyntheticBatch, SyntheticDialog};
use crate::args;
use crate::db::{Db, StoreError};
use crate::domain::provider::ChatChannel;
use crate::domain::site::SiteId;
use crate::reports::rollups::RollupDelta;

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
         last_seen_at, pageviews, landing_page, referring_domain, utm_source, utm_medium, \
         utm_campaign, utm_content, utm_term, channel, device, os, browser)",
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
                &s.referring_domain,
                &s.utm_source,
                &s.utm_medium,
                &s.utm_campaign,
                &s.utm_content,
                &s.utm_term,
                &s.channel,
                &s.device,
                &s.os,
                &s.browser,
            ]
        }),
    )
    .await?;
    tx.insert_rows(
        "INSERT INTO clicks (site_id, click_id, session_id, visitor_id, code, number, kind, \
         page_url, clicked_at)",
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
            ]
        }),
    )
    .await?;
    tx.insert_rows(
        "INSERT INTO contacts (site_id, contact_id, channel, identity, phone, name, \
         first_seen_at, last_seen_at)",
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
            ]
        }),
    )
    .await?;
    tx.insert_rows(
        "INSERT INTO dialogs (site_id, dialog_id, contact_id, kind, started_at, \
         last_message_at, business_number, first_message, match_kind, session_id, click_id)",
        "",
        batch.dialogs.iter().map(|d| {
            args![
                site,
                d.dialog_id,
                d.contact_id,
                d.kind.as_str(),
                d.started_at,
                d.started_at,
                &d.business_number,
                &d.first_message,
                d.match_kind.as_str(),
                d.session_id,
                d.click_id,
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
    delta.after_write(&mut tx, site, &touched).await?;
    delta.write(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}

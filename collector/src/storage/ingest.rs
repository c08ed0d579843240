//! Beacon-derived writes: visits and clicks, in batches from the ingest writer.

use std::collections::BTreeMap;

use async_trait::async_trait;
use uuid::Uuid;

use crate::args;
use crate::db::{Conn, Db, StoreError};
use crate::domain::visit::{Click, Visit};
use crate::reports::rollups::RollupDelta;

/// Beacon-derived records written in batches by the ingest writer.
#[derive(Debug, Clone)]
pub enum IngestEvent {
    /// A page view, which opens or extends a session.
    Visit(Box<Visit>),
    /// A click on a tracked chat link.
    Click(Box<Click>),
}

/// The beacon side of storage.
#[async_trait]
pub trait Ingest: Send + Sync {
    /// Writes a batch of visits and clicks in one transaction.
    async fn write_batch(&self, events: &[IngestEvent]) -> Result<(), StoreError>;
}

#[async_trait]
impl Ingest for Db {
    async fn write_batch(&self, events: &[IngestEvent]) -> Result<(), StoreError> {
        // Per site, the sessions and clicks the batch may add.
        let mut by_site: BTreeMap<Uuid, (Vec<Uuid>, Vec<Uuid>)> = BTreeMap::new();
        for event in events {
            match event {
                IngestEvent::Visit(v) => {
                    by_site.entry(v.site_id.0).or_default().0.push(v.session_id)
                }
                IngestEvent::Click(c) => by_site.entry(c.site_id.0).or_default().1.push(c.click_id),
            }
        }
        let mut tx = self.begin().await?;
        let mut delta = RollupDelta::default();
        let mut touched = Vec::with_capacity(by_site.len());
        for (site, (sessions, clicks)) in by_site {
            touched.push((
                site,
                delta.before_write(&mut tx, site, sessions, clicks).await?,
            ));
        }
        for event in events {
            match event {
                IngestEvent::Visit(v) => insert_visit(&mut tx, v).await?,
                IngestEvent::Click(c) => insert_click(&mut tx, c).await?,
            }
        }
        for (site, t) in &touched {
            delta.after_write(&mut tx, *site, t).await?;
        }
        delta.write(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Inserts one visit: its visitor, its session (or one more page view of it), the page view.
async fn insert_visit(tx: &mut Conn, v: &Visit) -> Result<(), sqlx::Error> {
    let site_id = v.site_id.0;
    tx.execute(
        "INSERT INTO visitors (site_id, visitor_id, first_seen_at, last_seen_at, first_session_id) \
         VALUES ($1, $2, $3, $3, $4) \
         ON CONFLICT (site_id, visitor_id) DO UPDATE SET last_seen_at = CASE \
         WHEN excluded.last_seen_at > visitors.last_seen_at THEN excluded.last_seen_at \
         ELSE visitors.last_seen_at END",
        args![site_id, v.visitor_id, v.at_ms, v.session_id],
    )
    .await?;
    let a = &v.attribution;
    let d = &v.device;
    tx.execute(
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
        args![
            site_id,
            v.session_id,
            v.visitor_id,
            v.code.as_str(),
            v.at_ms,
            &v.url,
            &v.referrer,
            &v.referrer_domain,
            &a.utm_source,
            &a.utm_medium,
            &a.utm_campaign,
            &a.utm_content,
            &a.utm_term,
            a.click_ids_json(),
            v.channel.as_str(),
            &d.os,
            &d.os_version,
            &d.browser,
            &d.browser_version,
            &d.category,
            v.screen_w,
            v.screen_h,
            &v.language,
            &v.timezone,
            &v.source,
            &v.keyword,
            &v.region.country,
            &v.region.region,
            &v.region.city,
        ],
    )
    .await?;
    tx.execute(
        "INSERT INTO pageviews (site_id, pageview_id, session_id, url, viewed_at) \
         VALUES ($1, $2, $3, $4, $5)",
        args![site_id, Uuid::now_v7(), v.session_id, &v.url, v.at_ms],
    )
    .await?;
    Ok(())
}

/// Inserts one click (a redelivered click beacon changes nothing).
async fn insert_click(tx: &mut Conn, c: &Click) -> Result<(), sqlx::Error> {
    tx.execute(
        "INSERT INTO clicks (site_id, click_id, session_id, visitor_id, code, number, kind, \
         page_url, clicked_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (site_id, click_id) DO NOTHING",
        args![
            c.site_id.0,
            c.click_id,
            c.session_id,
            c.visitor_id,
            c.code.as_str(),
            &c.number,
            c.kind.as_str(),
            &c.page_url,
            c.at_ms,
        ],
    )
    .await?;
    Ok(())
}

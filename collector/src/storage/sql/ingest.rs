//! Writes: beacon batches (inbound messages are in [`super::inbound`]).

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

-- Report rollups: visits, clicks and dialogs per site, grouping ('dim'), UTC day or hour
-- ('slot': epoch ms / 86400000, or / 3600000 for 'hour' and 'channel-hour') and up to two keys. Kept in
-- step with the fact tables by every write (collector/src/storage/rollups.rs); UTC slots
-- mean a site's time zone can change without a rebuild.

CREATE TABLE report_rollups (
    site_id BLOB NOT NULL,
    dim     TEXT NOT NULL,
    slot    INTEGER NOT NULL,
    k1      TEXT NOT NULL,
    k2      TEXT NOT NULL,
    visits  INTEGER NOT NULL DEFAULT 0,
    clicks  INTEGER NOT NULL DEFAULT 0,
    dialogs INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (site_id, dim, slot, k1, k2)
) WITHOUT ROWID;

-- Backfill from the existing rows. The groupings and their keys are those of
-- `collector/src/storage/rollups.rs` (DIMS); keys are stored as '' for NULL and '=' + value.
WITH f AS (
    SELECT s.site_id, s.started_at / 86400000 AS day, 0 AS hour,
           s.channel, s.utm_campaign AS campaign, s.utm_content AS content, s.utm_term AS term,
           s.landing_page AS landing, CAST(NULL AS TEXT) AS page,
           CAST(NULL AS TEXT) AS kind, CAST(NULL AS TEXT) AS match_kind,
           1 AS visits, 0 AS clicks, 0 AS dialogs
    FROM sessions s
    UNION ALL
    SELECT c.site_id, c.clicked_at / 86400000, 0,
           s.channel, s.utm_campaign, s.utm_content, s.utm_term, s.landing_page, c.page_url,
           CAST(NULL AS TEXT), CAST(NULL AS TEXT), 0, 1, 0
    FROM clicks c
    LEFT JOIN sessions s ON s.site_id = c.site_id AND s.session_id = c.session_id
    UNION ALL
    SELECT d.site_id, d.started_at / 86400000, d.started_at / 3600000,
           s.channel, s.utm_campaign, s.utm_content, s.utm_term, s.landing_page, c.page_url,
           d.kind, d.match_kind, 0, 0, 1
    FROM dialogs d
    LEFT JOIN sessions s ON s.site_id = d.site_id AND s.session_id = d.session_id
    LEFT JOIN clicks c ON c.site_id = d.site_id AND c.click_id = d.click_id
)
INSERT INTO report_rollups (site_id, dim, slot, k1, k2, visits, clicks, dialogs)
SELECT site_id, dim, slot, k1, k2, SUM(visits), SUM(clicks), SUM(dialogs) FROM (
    SELECT site_id, 'channel' AS dim, day AS slot, CASE WHEN channel IS NULL THEN '' ELSE '=' || channel END AS k1, '' AS k2,
           visits, clicks, dialogs FROM f
    UNION ALL
    SELECT site_id, 'campaign', day, CASE WHEN campaign IS NULL THEN '' ELSE '=' || campaign END, CASE WHEN channel IS NULL THEN '' ELSE '=' || channel END, visits, clicks, dialogs FROM f
    UNION ALL
    SELECT site_id, 'ad', day, CASE WHEN content IS NULL THEN '' ELSE '=' || content END, CASE WHEN campaign IS NULL THEN '' ELSE '=' || campaign END, visits, clicks, dialogs FROM f
    UNION ALL
    SELECT site_id, 'keyword', day, CASE WHEN term IS NULL THEN '' ELSE '=' || term END, CASE WHEN campaign IS NULL THEN '' ELSE '=' || campaign END, visits, clicks, dialogs FROM f
    UNION ALL
    SELECT site_id, 'landing', day, CASE WHEN landing IS NULL THEN '' ELSE '=' || landing END, '', visits, clicks, dialogs FROM f
    UNION ALL
    SELECT site_id, 'page', day, CASE WHEN page IS NULL THEN '' ELSE '=' || page END, '', visits, clicks, dialogs FROM f WHERE visits = 0
    UNION ALL
    SELECT site_id, 'kind', day, CASE WHEN kind IS NULL THEN '' ELSE '=' || kind END, '', visits, clicks, dialogs FROM f WHERE dialogs = 1
    UNION ALL
    SELECT site_id, 'match', day, CASE WHEN match_kind IS NULL THEN '' ELSE '=' || match_kind END, '', visits, clicks, dialogs FROM f
    WHERE dialogs = 1
    UNION ALL
    SELECT site_id, 'hour', hour, '', '', visits, clicks, dialogs FROM f WHERE dialogs = 1
    UNION ALL
    SELECT site_id, 'channel-hour', hour, CASE WHEN channel IS NULL THEN '' ELSE '=' || channel END, '', visits, clicks, dialogs FROM f
    WHERE dialogs = 1
) AS r
GROUP BY site_id, dim, slot, k1, k2;

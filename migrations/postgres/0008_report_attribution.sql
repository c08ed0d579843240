-- Clicks and dialogs carry copies of their session's attribution, and dialogs of their
-- click's page, so filtered reports count one table instead of joining every click and
-- dialog of the period to its session. Kept in step by every write that counts a click or
-- dialog into the rollups (collector/src/storage/sql/rollups.rs, copy_attribution!).

ALTER TABLE clicks ADD COLUMN channel TEXT;
ALTER TABLE clicks ADD COLUMN utm_campaign TEXT;
ALTER TABLE clicks ADD COLUMN utm_content TEXT;
ALTER TABLE clicks ADD COLUMN utm_term TEXT;
ALTER TABLE clicks ADD COLUMN landing_page TEXT;

ALTER TABLE dialogs ADD COLUMN channel TEXT;
ALTER TABLE dialogs ADD COLUMN utm_campaign TEXT;
ALTER TABLE dialogs ADD COLUMN utm_content TEXT;
ALTER TABLE dialogs ADD COLUMN utm_term TEXT;
ALTER TABLE dialogs ADD COLUMN landing_page TEXT;
ALTER TABLE dialogs ADD COLUMN page_url TEXT;

-- Tags carry their dialog's start, so a tag filter reads only the tag's dialogs of the
-- period.
ALTER TABLE dialog_tags ADD COLUMN dialog_started_at BIGINT;

UPDATE clicks SET (channel, utm_campaign, utm_content, utm_term, landing_page) = (
    SELECT s.channel, s.utm_campaign, s.utm_content, s.utm_term, s.landing_page
    FROM sessions s WHERE s.site_id = clicks.site_id AND s.session_id = clicks.session_id);

UPDATE dialogs SET (channel, utm_campaign, utm_content, utm_term, landing_page) = (
    SELECT s.channel, s.utm_campaign, s.utm_content, s.utm_term, s.landing_page
    FROM sessions s WHERE s.site_id = dialogs.site_id AND s.session_id = dialogs.session_id),
    page_url = (SELECT c.page_url FROM clicks c
                WHERE c.site_id = dialogs.site_id AND c.click_id = dialogs.click_id);

UPDATE dialog_tags SET dialog_started_at = (
    SELECT d.started_at FROM dialogs d
    WHERE d.site_id = dialog_tags.site_id AND d.dialog_id = dialog_tags.dialog_id);

-- The 'channel' and 'page' groupings gain the tracked number as their second key
-- (rollups.rs, DIMS), so a number filter on channels, dynamics or pages of contact reads
-- rollups too. Visits have no number ('').
DELETE FROM report_rollups WHERE dim IN ('channel', 'page');
INSERT INTO report_rollups (site_id, dim, slot, k1, k2, visits, clicks, dialogs)
SELECT site_id, dim, slot, k1, k2, SUM(visits), SUM(clicks), SUM(dialogs) FROM (
    SELECT site_id, 'channel' AS dim, started_at / 86400000 AS slot,
           '=' || channel AS k1, '' AS k2, 1 AS visits, 0 AS clicks, 0 AS dialogs
    FROM sessions
    UNION ALL
    SELECT site_id, 'channel', clicked_at / 86400000,
           CASE WHEN channel IS NULL THEN '' ELSE '=' || channel END,
           CASE WHEN number IS NULL THEN '' ELSE '=' || number END, 0, 1, 0
    FROM clicks
    UNION ALL
    SELECT site_id, 'channel', started_at / 86400000,
           CASE WHEN channel IS NULL THEN '' ELSE '=' || channel END,
           CASE WHEN business_number IS NULL THEN '' ELSE '=' || business_number END, 0, 0, 1
    FROM dialogs
    UNION ALL
    SELECT site_id, 'page', clicked_at / 86400000,
           CASE WHEN page_url IS NULL THEN '' ELSE '=' || page_url END,
           CASE WHEN number IS NULL THEN '' ELSE '=' || number END, 0, 1, 0
    FROM clicks
    UNION ALL
    SELECT site_id, 'page', started_at / 86400000,
           CASE WHEN page_url IS NULL THEN '' ELSE '=' || page_url END,
           CASE WHEN business_number IS NULL THEN '' ELSE '=' || business_number END, 0, 0, 1
    FROM dialogs
) AS r
GROUP BY site_id, dim, slot, k1, k2;

-- The reports' covering indexes, now over the copies: a filtered count reads one index in
-- time order and no table rows.
DROP INDEX dialogs_for_reports;
CREATE INDEX dialogs_for_reports ON dialogs
    (site_id, started_at, kind, match_kind, business_number, channel, utm_campaign,
     utm_content, utm_term, landing_page, page_url);
DROP INDEX clicks_for_reports;
CREATE INDEX clicks_for_reports ON clicks
    (site_id, clicked_at, number, channel, utm_campaign, utm_content, utm_term, landing_page,
     page_url);

-- A tag filter reads the tag's dialog ids of the period from the index alone.
DROP INDEX dialog_tags_by_tag;
CREATE INDEX dialog_tags_by_tag ON dialog_tags (site_id, tag, dialog_started_at, dialog_id);

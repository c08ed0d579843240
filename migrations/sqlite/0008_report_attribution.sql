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
ALTER TABLE dialog_tags ADD COLUMN dialog_started_at INTEGER;

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

-- The 'page' grouping gains the tracked number as its second key (rollups.rs, DIMS), so a
-- number filter on pages of contact reads rollups too.
DELETE FROM report_rollups WHERE dim = 'page';
INSERT INTO report_rollups (site_id, dim, slot, k1, k2, visits, clicks, dialogs)
SELECT site_id, 'page', slot, k1, k2, 0, SUM(clicks), SUM(dialogs) FROM (
    SELECT site_id, clicked_at / 86400000 AS slot,
           CASE WHEN page_url IS NULL THEN '' ELSE '=' || page_url END AS k1,
           CASE WHEN number IS NULL THEN '' ELSE '=' || number END AS k2,
           1 AS clicks, 0 AS dialogs
    FROM clicks
    UNION ALL
    SELECT site_id, started_at / 86400000,
           CASE WHEN page_url IS NULL THEN '' ELSE '=' || page_url END,
           CASE WHEN business_number IS NULL THEN '' ELSE '=' || business_number END, 0, 1
    FROM dialogs
) AS r
GROUP BY site_id, slot, k1, k2;

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

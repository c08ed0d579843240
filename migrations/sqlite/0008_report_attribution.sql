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

-- The rollups are rebuilt with a third key: a count is read from the grouping with the
-- fewest keys that holds its keys and its filters' keys (channel, campaign, number, match),
-- so filtered reports read rollups too. The groupings and their keys are those of
-- collector/src/storage/rollups.rs (DIMS); keys are stored as '' for NULL and '=' + value.
DROP TABLE report_rollups;
CREATE TABLE report_rollups (
    site_id BLOB NOT NULL,
    dim     TEXT NOT NULL,
    slot    INTEGER NOT NULL,
    k1      TEXT NOT NULL,
    k2      TEXT NOT NULL,
    k3      TEXT NOT NULL,
    visits  INTEGER NOT NULL DEFAULT 0,
    clicks  INTEGER NOT NULL DEFAULT 0,
    dialogs INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (site_id, dim, slot, k1, k2, k3)
) WITHOUT ROWID;

WITH f AS (
    SELECT site_id, started_at / 86400000 AS day, 0 AS hour, channel,
           utm_campaign AS campaign, utm_content AS content, utm_term AS term,
           landing_page AS landing, CAST(NULL AS TEXT) AS page, CAST(NULL AS TEXT) AS number,
           CAST(NULL AS TEXT) AS kind, CAST(NULL AS TEXT) AS match_kind,
           1 AS visits, 0 AS clicks, 0 AS dialogs
    FROM sessions
    UNION ALL
    SELECT site_id, clicked_at / 86400000, 0, channel, utm_campaign, utm_content, utm_term,
           landing_page, page_url, number, CAST(NULL AS TEXT), CAST(NULL AS TEXT), 0, 1, 0
    FROM clicks
    UNION ALL
    SELECT site_id, started_at / 86400000, started_at / 3600000, channel, utm_campaign,
           utm_content, utm_term, landing_page, page_url, business_number, kind, match_kind,
           0, 0, 1
    FROM dialogs
)
INSERT INTO report_rollups (site_id, dim, slot, k1, k2, k3, visits, clicks, dialogs)
SELECT site_id, dim, slot, k1, k2, k3, SUM(visits), SUM(clicks), SUM(dialogs) FROM (
    SELECT site_id, 'channel' AS dim, day AS slot,
           CASE WHEN channel IS NULL THEN '' ELSE '=' || channel END AS k1,
           CASE WHEN number IS NULL THEN '' ELSE '=' || number END AS k2,
           '' AS k3,
           visits, clicks, dialogs FROM f
    UNION ALL
    SELECT site_id, 'campaign', day,
           CASE WHEN campaign IS NULL THEN '' ELSE '=' || campaign END,
           CASE WHEN channel IS NULL THEN '' ELSE '=' || channel END,
           CASE WHEN number IS NULL THEN '' ELSE '=' || number END,
           visits, clicks, dialogs FROM f
    UNION ALL
    SELECT site_id, 'ad', day,
           CASE WHEN content IS NULL THEN '' ELSE '=' || content END,
           CASE WHEN campaign IS NULL THEN '' ELSE '=' || campaign END,
           CASE WHEN channel IS NULL THEN '' ELSE '=' || channel END,
           visits, clicks, dialogs FROM f
    UNION ALL
    SELECT site_id, 'keyword', day,
           CASE WHEN term IS NULL THEN '' ELSE '=' || term END,
           CASE WHEN campaign IS NULL THEN '' ELSE '=' || campaign END,
           CASE WHEN channel IS NULL THEN '' ELSE '=' || channel END,
           visits, clicks, dialogs FROM f
    UNION ALL
    SELECT site_id, 'landing', day,
           CASE WHEN landing IS NULL THEN '' ELSE '=' || landing END,
           '',
           '',
           visits, clicks, dialogs FROM f
    UNION ALL
    SELECT site_id, 'landing-source', day,
           CASE WHEN landing IS NULL THEN '' ELSE '=' || landing END,
           CASE WHEN channel IS NULL THEN '' ELSE '=' || channel END,
           CASE WHEN campaign IS NULL THEN '' ELSE '=' || campaign END,
           visits, clicks, dialogs FROM f
    UNION ALL
    SELECT site_id, 'page', day,
           CASE WHEN page IS NULL THEN '' ELSE '=' || page END,
           CASE WHEN number IS NULL THEN '' ELSE '=' || number END,
           '',
           visits, clicks, dialogs FROM f WHERE visits = 0
    UNION ALL
    SELECT site_id, 'page-source', day,
           CASE WHEN page IS NULL THEN '' ELSE '=' || page END,
           CASE WHEN channel IS NULL THEN '' ELSE '=' || channel END,
           CASE WHEN campaign IS NULL THEN '' ELSE '=' || campaign END,
           visits, clicks, dialogs FROM f WHERE visits = 0
    UNION ALL
    SELECT site_id, 'kind', day,
           CASE WHEN kind IS NULL THEN '' ELSE '=' || kind END,
           '',
           '',
           visits, clicks, dialogs FROM f WHERE dialogs = 1
    UNION ALL
    SELECT site_id, 'match', day,
           CASE WHEN match_kind IS NULL THEN '' ELSE '=' || match_kind END,
           '',
           '',
           visits, clicks, dialogs FROM f WHERE dialogs = 1
    UNION ALL
    SELECT site_id, 'hour', hour,
           '',
           '',
           '',
           visits, clicks, dialogs FROM f WHERE dialogs = 1
    UNION ALL
    SELECT site_id, 'channel-hour', hour,
           CASE WHEN channel IS NULL THEN '' ELSE '=' || channel END,
           CASE WHEN number IS NULL THEN '' ELSE '=' || number END,
           '',
           visits, clicks, dialogs FROM f WHERE dialogs = 1
) AS r
GROUP BY site_id, dim, slot, k1, k2, k3;

-- A filter on a grouping's second or third key (the channel of landing pages, the campaign of
-- pages of contact) reads the matching rows of the period, not every row of the grouping.
CREATE INDEX report_rollups_by_k2 ON report_rollups (site_id, dim, k2, slot);
CREATE INDEX report_rollups_by_k3 ON report_rollups (site_id, dim, k3, slot);

-- The reports' covering indexes, now over the copies: a filtered count reads one index in
-- time order and no table rows. The dialogs' one is also the dialogs list's page order
-- (started_at, dialog_id), replacing 0007's index: with two candidates SQLite chose the
-- wider one and sorted every dialog for a page.
DROP INDEX dialogs_for_reports;
DROP INDEX dialogs_newest;
CREATE INDEX dialogs_for_reports ON dialogs
    (site_id, started_at, dialog_id, kind, match_kind, business_number, channel, utm_campaign,
     utm_content, utm_term, landing_page, page_url);
DROP INDEX clicks_for_reports;
CREATE INDEX clicks_for_reports ON clicks
    (site_id, clicked_at, number, channel, utm_campaign, utm_content, utm_term, landing_page,
     page_url);

-- A tag filter reads the tag's dialog ids of the period from the index alone.
DROP INDEX dialog_tags_by_tag;
CREATE INDEX dialog_tags_by_tag ON dialog_tags (site_id, tag, dialog_started_at, dialog_id);

-- Money in reports, fast at a million sessions (issue 18).
--
-- First touch: each dialog carries a copy of its visitor's first session's keys (a dialog
-- without a session, or whose visitor's first session is gone, carries its own), kept by
-- the same writes that copy its matched session's keys (`copy_attribution_sql`), so a
-- first-touch report reads dialogs alone instead of joining sessions, visitors and sessions.
ALTER TABLE dialogs ADD COLUMN first_channel TEXT;
ALTER TABLE dialogs ADD COLUMN first_utm_campaign TEXT;
ALTER TABLE dialogs ADD COLUMN first_utm_content TEXT;
ALTER TABLE dialogs ADD COLUMN first_utm_term TEXT;
ALTER TABLE dialogs ADD COLUMN first_landing_key TEXT;

UPDATE dialogs SET (first_channel, first_utm_campaign, first_utm_content, first_utm_term,
    first_landing_key) = (
    SELECT CASE WHEN f.session_id IS NULL THEN dialogs.channel ELSE f.channel END,
           CASE WHEN f.session_id IS NULL THEN dialogs.utm_campaign ELSE f.utm_campaign END,
           CASE WHEN f.session_id IS NULL THEN dialogs.utm_content ELSE f.utm_content END,
           CASE WHEN f.session_id IS NULL THEN dialogs.utm_term ELSE f.utm_term END,
           CASE WHEN f.session_id IS NULL THEN dialogs.landing_key ELSE f.landing_key END
    FROM (SELECT 1 AS one) one
    LEFT JOIN sessions s ON s.site_id = dialogs.site_id AND s.session_id = dialogs.session_id
    LEFT JOIN visitors v ON v.site_id = s.site_id AND v.visitor_id = s.visitor_id
    LEFT JOIN sessions f ON f.site_id = v.site_id AND f.session_id = v.first_session_id);

-- The money columns read these indexes alone (index-only): the period's dialogs with an
-- outcome with their keys under last touch, every dialog of the period with its
-- first-touch keys, and the site's won currencies for the default currency.
DROP INDEX dialogs_with_outcome;
CREATE INDEX dialogs_money ON dialogs (site_id, started_at, stage, currency, value_milli,
    channel, utm_campaign, utm_content, utm_term, landing_key, page_key)
    WHERE stage IS NOT NULL;
CREATE INDEX dialogs_first_touch ON dialogs (site_id, started_at, first_channel,
    first_utm_campaign, first_utm_content, first_utm_term, first_landing_key, page_key, stage,
    currency, value_milli);
CREATE INDEX dialogs_won_currency ON dialogs (site_id, currency)
    WHERE stage IS NOT NULL AND currency IS NOT NULL;

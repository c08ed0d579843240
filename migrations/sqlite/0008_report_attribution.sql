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

UPDATE clicks SET (channel, utm_campaign, utm_content, utm_term, landing_page) = (
    SELECT s.channel, s.utm_campaign, s.utm_content, s.utm_term, s.landing_page
    FROM sessions s WHERE s.site_id = clicks.site_id AND s.session_id = clicks.session_id);

UPDATE dialogs SET (channel, utm_campaign, utm_content, utm_term, landing_page) = (
    SELECT s.channel, s.utm_campaign, s.utm_content, s.utm_term, s.landing_page
    FROM sessions s WHERE s.site_id = dialogs.site_id AND s.session_id = dialogs.session_id),
    page_url = (SELECT c.page_url FROM clicks c
                WHERE c.site_id = dialogs.site_id AND c.click_id = dialogs.click_id);

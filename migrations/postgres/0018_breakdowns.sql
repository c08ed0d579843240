-- Breakdowns by region, device type, OS and browser: clicks and dialogs carry copies of
-- their session's, as they do of the rest of its attribution (the rollups gain the
-- groupings `region`, `device` and `browser`, rebuilt at start-up by `storage::catch_up`).
ALTER TABLE clicks ADD COLUMN country TEXT;
ALTER TABLE clicks ADD COLUMN region TEXT;
ALTER TABLE clicks ADD COLUMN device TEXT;
ALTER TABLE clicks ADD COLUMN os TEXT;
ALTER TABLE clicks ADD COLUMN browser TEXT;
ALTER TABLE dialogs ADD COLUMN country TEXT;
ALTER TABLE dialogs ADD COLUMN region TEXT;
ALTER TABLE dialogs ADD COLUMN device TEXT;
ALTER TABLE dialogs ADD COLUMN os TEXT;
ALTER TABLE dialogs ADD COLUMN browser TEXT;
UPDATE clicks SET (country, region, device, os, browser) = (SELECT s.country, s.region, s.device, s.os, s.browser FROM sessions s
    WHERE s.site_id = clicks.site_id AND s.session_id = clicks.session_id)
    WHERE session_id IS NOT NULL;
UPDATE dialogs SET (country, region, device, os, browser) = (SELECT s.country, s.region, s.device, s.os, s.browser FROM sessions s
    WHERE s.site_id = dialogs.site_id AND s.session_id = dialogs.session_id)
    WHERE session_id IS NOT NULL;

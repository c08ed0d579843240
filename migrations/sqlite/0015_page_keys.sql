-- Pages as reports count them (`domain::page::page_key`: no scheme, query string or
-- fragment, the path decoded, `/x/` = `/x`); the full URLs stay where they were, for the
-- source card. Sessions hold their landing page's key, clicks their page's; clicks and
-- dialogs carry copies as they do of the rest of the session's attribution. Rows from
-- before are given their keys, and the rollups rebuilt, when the collector starts.
ALTER TABLE sessions ADD COLUMN landing_key TEXT;
ALTER TABLE clicks ADD COLUMN landing_key TEXT;
ALTER TABLE clicks ADD COLUMN page_key TEXT;
ALTER TABLE dialogs ADD COLUMN landing_key TEXT;
ALTER TABLE dialogs ADD COLUMN page_key TEXT;

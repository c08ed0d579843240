-- Chat clicks: clicks some dialog points at, the numerator of `click_to_chat` (a share of
-- clicks, so one click with two dialogs counts once and the rate stays at most 100%).
-- The rollups count them in a fourth column, filled for existing data by the rebuild that
-- `storage::catch_up` runs at start-up for sites whose dialogs point at clicks.
ALTER TABLE report_rollups ADD COLUMN chats BIGINT NOT NULL DEFAULT 0;
CREATE INDEX dialogs_by_click ON dialogs (site_id, click_id);

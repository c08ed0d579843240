-- Retention per site (issue 21): visits and clicks are kept `retention_visits_days`, dialogs
-- and their messages `retention_dialogs_days` (NULL keeps them for ever). A background task
-- deletes older rows at whole UTC days and moves the horizons below: the rollups keep the
-- counts of the days before a horizon, so reports over them still answer, and checks and
-- rebuilds of the rollups take those days as stored (collector/src/reports/retained.rs).
ALTER TABLE sites ADD COLUMN retention_visits_days BIGINT;
ALTER TABLE sites ADD COLUMN retention_dialogs_days BIGINT;
ALTER TABLE sites ADD COLUMN visits_expired_before BIGINT;
ALTER TABLE sites ADD COLUMN dialogs_expired_before BIGINT;

-- The task finds expired rows by time, and keeps a click a dialog points at (found with
-- 0019's dialogs_by_click, messages with 0020's messages_by_time) and a visitor with a
-- session left.
CREATE INDEX visitors_by_last_seen ON visitors (site_id, last_seen_at);
CREATE INDEX message_statuses_by_status_at ON message_statuses (site_id, status_at);

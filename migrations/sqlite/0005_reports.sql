-- Reports: each site's time zone (days, weeks and busiest hours are counted in it), and
-- covering indexes so every report reads one index range per fact table, never the rows.

ALTER TABLE sites ADD COLUMN timezone TEXT NOT NULL DEFAULT 'UTC';

CREATE INDEX dialogs_for_reports ON dialogs
    (site_id, started_at, kind, match_kind, business_number, session_id, click_id);
CREATE INDEX sessions_for_reports ON sessions
    (site_id, started_at, channel, utm_campaign, utm_content, utm_term, landing_page);
CREATE INDEX clicks_for_reports ON clicks
    (site_id, clicked_at, number, session_id, page_url);

-- Enrichment: the normalised traffic source and search keyword of a session, and each
-- site's own channel rules (JSON array, checked before the default channel group).

ALTER TABLE sessions ADD COLUMN source TEXT;
ALTER TABLE sessions ADD COLUMN keyword TEXT;
ALTER TABLE sites ADD COLUMN channel_rules TEXT NOT NULL DEFAULT '[]';

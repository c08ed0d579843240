-- The snippet's per-site settings (issue 3): Telegram bots whose t.me links carry the code,
-- and starter phrases per page path. Both JSON arrays, like `domains`.
ALTER TABLE sites ADD COLUMN bots TEXT NOT NULL DEFAULT '[]';
ALTER TABLE sites ADD COLUMN pages TEXT NOT NULL DEFAULT '[]';

-- A fresh site's checklist shows when a provider's webhook last brought a message: the
-- newest message per provider, read from an index instead of a scan of the site's messages.
CREATE INDEX messages_newest_by_provider ON messages (site_id, provider, received_at);

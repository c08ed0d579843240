-- The dialogs list pages newest first by (started_at, dialog_id): this index answers a page
-- by reading its rows in order and stopping at the page size, whatever the site's size.
CREATE INDEX dialogs_newest ON dialogs (site_id, started_at, dialog_id);

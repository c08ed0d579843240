-- The money columns of reports read the dialogs of a period that have an outcome: this
-- index holds those alone, so a report reads them and no other dialog.
CREATE INDEX dialogs_with_outcome ON dialogs (site_id, started_at) WHERE stage IS NOT NULL;

-- The summary report's first response time looks up the first message the business sent to
-- a contact after the dialog began: statuses by recipient.
CREATE INDEX message_statuses_by_recipient ON message_statuses (site_id, recipient);

-- The summary report from indexes, whatever the period: each dialog keeps when the business
-- first answered its contact (`first_reply_at`: the earliest status time of a message to
-- the contact's phone at or after the dialog's start, kept by every status and dialog
-- write), messages and statuses are found by time, and contacts by phone alone.
ALTER TABLE dialogs ADD COLUMN first_reply_at INTEGER;
UPDATE dialogs SET first_reply_at = (
    SELECT MIN(COALESCE(ms.sent_at, ms.delivered_at, ms.read_at, ms.played_at, ms.failed_at, ms.status_at))
    FROM message_statuses ms
    WHERE ms.site_id = dialogs.site_id
      AND ms.recipient = (SELECT c.phone FROM contacts c
                          WHERE c.site_id = dialogs.site_id AND c.contact_id = dialogs.contact_id)
      AND COALESCE(ms.sent_at, ms.delivered_at, ms.read_at, ms.played_at, ms.failed_at, ms.status_at)
          >= dialogs.started_at);
CREATE INDEX dialogs_for_summary ON dialogs (site_id, started_at, kind, contact_id, first_reply_at);
CREATE INDEX messages_by_time ON messages (site_id, sent_at, contact_id);
CREATE INDEX message_statuses_by_time ON message_statuses (site_id,
    (COALESCE(sent_at, delivered_at, read_at, played_at, failed_at, status_at)),
    delivered_at, read_at, played_at, failed_at, recipient);
CREATE INDEX contacts_by_phone_alone ON contacts (site_id, phone);

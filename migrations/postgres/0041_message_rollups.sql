-- The summary report's message figures from rollups (issue 17): per site and UTC day, the
-- messages received and the business's messages sent, delivered, read and failed, kept by
-- every write of messages and statuses (`reports/rollups/messages.rs`). Writes add to one
-- of eight shard rows of a day at random, so concurrent writers rarely wait for each other;
-- readers sum them.
CREATE TABLE message_rollups (
    site_id   UUID NOT NULL,
    slot      BIGINT NOT NULL,
    shard     BIGINT NOT NULL,
    received  BIGINT NOT NULL DEFAULT 0,
    sent      BIGINT NOT NULL DEFAULT 0,
    delivered BIGINT NOT NULL DEFAULT 0,
    read      BIGINT NOT NULL DEFAULT 0,
    failed    BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (site_id, slot, shard)
);

-- What a status row counted before its last upsert (set from the old row inside the
-- upsert and returned by it), so the upsert tells the rollups what to move.
ALTER TABLE message_statuses ADD COLUMN counted_at BIGINT;
ALTER TABLE message_statuses ADD COLUMN counted_flags BIGINT;

-- How long a dialog waited for the business's first answer, for the median first response
-- of a period, read in wait order (`reports/summary_sql.rs`).
ALTER TABLE dialogs ADD COLUMN wait_ms BIGINT GENERATED ALWAYS AS (first_reply_at - started_at) STORED;
CREATE INDEX dialogs_by_wait ON dialogs (site_id, wait_ms, started_at) WHERE wait_ms IS NOT NULL;

INSERT INTO message_rollups (site_id, slot, shard, received)
SELECT site_id, sent_at / 86400000, 0, COUNT(*) FROM messages GROUP BY site_id, sent_at / 86400000;

INSERT INTO message_rollups (site_id, slot, shard, sent, delivered, read, failed)
SELECT site_id, COALESCE(sent_at, delivered_at, read_at, played_at, failed_at, status_at) / 86400000,
       1, COUNT(*),
       SUM(CASE WHEN delivered_at IS NOT NULL OR read_at IS NOT NULL OR played_at IS NOT NULL
           THEN 1 ELSE 0 END),
       SUM(CASE WHEN read_at IS NOT NULL OR played_at IS NOT NULL THEN 1 ELSE 0 END),
       SUM(CASE WHEN failed_at IS NOT NULL THEN 1 ELSE 0 END)
FROM message_statuses
GROUP BY site_id, COALESCE(sent_at, delivered_at, read_at, played_at, failed_at, status_at) / 86400000;

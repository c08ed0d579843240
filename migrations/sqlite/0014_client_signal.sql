-- A per-client signal for probable matching, with no address kept: a hash of the client's
-- address and user agent under a salt of the day (the salts of days past are deleted, so a
-- hash cannot be recomputed from an address afterwards). A click counts for a probable
-- match only if it came from the client of its session's first visit, and not from a
-- client whose clicks in the window belong to several other sessions.
ALTER TABLE sessions ADD COLUMN client BIGINT;
ALTER TABLE clicks ADD COLUMN client BIGINT;
CREATE INDEX clicks_by_client ON clicks (site_id, client, clicked_at) WHERE client IS NOT NULL;
CREATE TABLE client_salts (
    day  BIGINT PRIMARY KEY,
    salt TEXT NOT NULL
);

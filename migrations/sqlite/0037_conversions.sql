-- Conversions sent back to ad platforms and CRMs: each site's destinations, the outbox of
-- events (written in the transaction of the change that causes them) and each event's
-- delivery to each destination.

-- A destination: kind is webhook, meta or ga4. settings is JSON of
-- what may be shown (ids, names); secret is the credential, written and never read back
-- by the API. events is JSON: a chatrail event (started, stage:NAME, won) to its name there.
CREATE TABLE conversion_destinations (
    site_id        BLOB NOT NULL,
    destination_id BLOB NOT NULL,
    kind           TEXT NOT NULL,
    name           TEXT NOT NULL,
    endpoint       TEXT,
    settings       TEXT NOT NULL,
    secret         TEXT,
    events         TEXT NOT NULL,
    enabled        INTEGER NOT NULL,
    created_at     INTEGER NOT NULL,
    PRIMARY KEY (site_id, destination_id)
);

-- The outbox: one row per event (dialog.started, dialog.matched, outcome.changed, test),
-- with the outcome as it was, written with a delivery row per destination that gets it.
CREATE TABLE conversion_events (
    site_id     BLOB NOT NULL,
    event_id    BLOB NOT NULL,
    kind        TEXT NOT NULL,
    dialog_id   BLOB NOT NULL,
    stage       TEXT,
    stage_kind  TEXT,
    value_milli INTEGER,
    currency    TEXT,
    occurred_at INTEGER NOT NULL,
    PRIMARY KEY (site_id, event_id)
);
CREATE INDEX conversion_events_by_dialog ON conversion_events (site_id, dialog_id);

-- One event's delivery to one destination. state: pending, sent, failed (the platform
-- refused it), expired (its window passed) or dropped (nothing to send: no click id,
-- no consent, the dialog erased). A sender holds a pending row until lease_until.
CREATE TABLE conversion_deliveries (
    site_id        BLOB NOT NULL,
    destination_id BLOB NOT NULL,
    event_id       BLOB NOT NULL,
    state          TEXT NOT NULL,
    attempts       INTEGER NOT NULL,
    next_at        INTEGER NOT NULL,
    lease_until    INTEGER,
    created_at     INTEGER NOT NULL,
    settled_at     INTEGER,
    last_status    INTEGER,
    last_answer    TEXT,
    PRIMARY KEY (site_id, destination_id, event_id)
);
CREATE INDEX conversion_deliveries_due ON conversion_deliveries (next_at) WHERE state = 'pending';
CREATE INDEX conversion_deliveries_log ON conversion_deliveries (site_id, destination_id, created_at);

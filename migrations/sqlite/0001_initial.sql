-- chatrail schema, SQLite. Times are epoch milliseconds; ids are UUIDs (16-byte BLOBs).
-- Every key starts with site_id so the PostgreSQL twin can be distributed by site.

CREATE TABLE sites (
    site_id              BLOB PRIMARY KEY,
    site_key             TEXT NOT NULL UNIQUE,
    name                 TEXT NOT NULL,
    domains              TEXT NOT NULL,           -- JSON array
    template             TEXT NOT NULL,
    wa_app_secret        TEXT,
    wa_verify_token_hash TEXT,
    created_at           INTEGER NOT NULL
);

CREATE TABLE tracked_numbers (
    site_id            BLOB NOT NULL,
    number             TEXT NOT NULL,
    wa_phone_number_id TEXT,
    PRIMARY KEY (site_id, number)
);

CREATE TABLE api_tokens (
    site_id    BLOB NOT NULL,
    token_id   BLOB NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    role       TEXT NOT NULL,
    name       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (site_id, token_id)
);

CREATE TABLE visitors (
    site_id          BLOB NOT NULL,
    visitor_id       BLOB NOT NULL,
    first_seen_at    INTEGER NOT NULL,
    last_seen_at     INTEGER NOT NULL,
    first_session_id BLOB NOT NULL,
    PRIMARY KEY (site_id, visitor_id)
);

CREATE TABLE sessions (
    site_id         BLOB NOT NULL,
    session_id      BLOB NOT NULL,
    visitor_id      BLOB NOT NULL,
    code            TEXT NOT NULL,
    started_at      INTEGER NOT NULL,
    last_seen_at    INTEGER NOT NULL,
    pageviews       INTEGER NOT NULL,
    landing_page    TEXT NOT NULL,
    referrer        TEXT,
    referring_domain TEXT,
    utm_source      TEXT,
    utm_medium      TEXT,
    utm_campaign    TEXT,
    utm_content     TEXT,
    utm_term        TEXT,
    click_ids       TEXT,                          -- JSON object
    channel         TEXT NOT NULL,
    os              TEXT,
    os_version      TEXT,
    browser         TEXT,
    browser_version TEXT,
    device          TEXT,
    screen_w        INTEGER,
    screen_h        INTEGER,
    language        TEXT,
    timezone        TEXT,
    country         TEXT,
    region          TEXT,
    city            TEXT,
    PRIMARY KEY (site_id, session_id)
);
CREATE INDEX sessions_by_code ON sessions (site_id, code, started_at);
CREATE INDEX sessions_by_visitor ON sessions (site_id, visitor_id, started_at);
CREATE INDEX sessions_by_start ON sessions (site_id, started_at);

CREATE TABLE pageviews (
    site_id     BLOB NOT NULL,
    pageview_id BLOB NOT NULL,
    session_id  BLOB NOT NULL,
    url         TEXT NOT NULL,
    viewed_at   INTEGER NOT NULL,
    PRIMARY KEY (site_id, pageview_id)
);
CREATE INDEX pageviews_by_session ON pageviews (site_id, session_id, viewed_at);

CREATE TABLE clicks (
    site_id    BLOB NOT NULL,
    click_id   BLOB NOT NULL,
    session_id BLOB NOT NULL,
    visitor_id BLOB NOT NULL,
    code       TEXT NOT NULL,
    number     TEXT NOT NULL,
    kind       TEXT NOT NULL,
    page_url   TEXT NOT NULL,
    clicked_at INTEGER NOT NULL,
    PRIMARY KEY (site_id, click_id)
);
CREATE INDEX clicks_by_session ON clicks (site_id, session_id, clicked_at);
CREATE INDEX clicks_by_number ON clicks (site_id, number, clicked_at);

CREATE TABLE contacts (
    site_id          BLOB NOT NULL,
    contact_id       BLOB NOT NULL,
    channel          TEXT NOT NULL,
    identity         TEXT NOT NULL,               -- phone digits, or 'user:' + provider user id
    phone            TEXT,
    provider_user_id TEXT,
    name             TEXT,
    first_seen_at    INTEGER NOT NULL,
    last_seen_at     INTEGER NOT NULL,
    PRIMARY KEY (site_id, contact_id),
    UNIQUE (site_id, channel, identity)
);

CREATE TABLE dialogs (
    site_id         BLOB NOT NULL,
    dialog_id       BLOB NOT NULL,
    contact_id      BLOB NOT NULL,
    kind            TEXT NOT NULL,                -- new | repeat
    started_at      INTEGER NOT NULL,
    last_message_at INTEGER NOT NULL,
    business_number TEXT NOT NULL,
    first_message   TEXT,
    match_kind      TEXT NOT NULL,                -- exact | none
    code            TEXT,
    confidence      REAL,
    session_id      BLOB,
    click_id        BLOB,
    PRIMARY KEY (site_id, dialog_id)
);
CREATE INDEX dialogs_by_contact ON dialogs (site_id, contact_id, started_at);
CREATE INDEX dialogs_by_start ON dialogs (site_id, started_at);

CREATE TABLE messages (
    site_id             BLOB NOT NULL,
    provider            TEXT NOT NULL,
    provider_message_id TEXT NOT NULL,
    dialog_id           BLOB,
    contact_id          BLOB,
    message_type        TEXT NOT NULL,
    body                TEXT,
    sent_at             INTEGER NOT NULL,
    received_at         INTEGER NOT NULL,
    PRIMARY KEY (site_id, provider, provider_message_id)
);
CREATE INDEX messages_by_dialog ON messages (site_id, dialog_id, sent_at);

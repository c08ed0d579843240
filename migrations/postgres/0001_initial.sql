-- chatrail schema, SQLite. Times are epoch milliseconds; ids are UUIDs (16-byte UUIDs).
-- Every key starts with site_id so the PostgreSQL twin can be distributed by site.

CREATE TABLE sites (
    site_id              UUID PRIMARY KEY,
    site_key             TEXT NOT NULL UNIQUE,
    name                 TEXT NOT NULL,
    domains              TEXT NOT NULL,           -- JSON array
    template             TEXT NOT NULL,
    wa_app_secret        TEXT,
    wa_verify_token_hash TEXT,
    created_at           BIGINT NOT NULL
);

CREATE TABLE tracked_numbers (
    site_id            UUID NOT NULL,
    number             TEXT NOT NULL,
    wa_phone_number_id TEXT,
    PRIMARY KEY (site_id, number)
);

CREATE TABLE api_tokens (
    site_id    UUID NOT NULL,
    token_id   UUID NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    role       TEXT NOT NULL,
    name       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (site_id, token_id)
);

CREATE TABLE visitors (
    site_id          UUID NOT NULL,
    visitor_id       UUID NOT NULL,
    first_seen_at    BIGINT NOT NULL,
    last_seen_at     BIGINT NOT NULL,
    first_session_id UUID NOT NULL,
    PRIMARY KEY (site_id, visitor_id)
);

CREATE TABLE sessions (
    site_id         UUID NOT NULL,
    session_id      UUID NOT NULL,
    visitor_id      UUID NOT NULL,
    code            TEXT NOT NULL,
    started_at      BIGINT NOT NULL,
    last_seen_at    BIGINT NOT NULL,
    pageviews       BIGINT NOT NULL,
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
    site_id     UUID NOT NULL,
    pageview_id UUID NOT NULL,
    session_id  UUID NOT NULL,
    url         TEXT NOT NULL,
    viewed_at   BIGINT NOT NULL,
    PRIMARY KEY (site_id, pageview_id)
);
CREATE INDEX pageviews_by_session ON pageviews (site_id, session_id, viewed_at);

CREATE TABLE clicks (
    site_id    UUID NOT NULL,
    click_id   UUID NOT NULL,
    session_id UUID NOT NULL,
    visitor_id UUID NOT NULL,
    code       TEXT NOT NULL,
    number     TEXT NOT NULL,
    kind       TEXT NOT NULL,
    page_url   TEXT NOT NULL,
    clicked_at BIGINT NOT NULL,
    PRIMARY KEY (site_id, click_id)
);
CREATE INDEX clicks_by_session ON clicks (site_id, session_id, clicked_at);
CREATE INDEX clicks_by_number ON clicks (site_id, number, clicked_at);

CREATE TABLE contacts (
    site_id          UUID NOT NULL,
    contact_id       UUID NOT NULL,
    channel          TEXT NOT NULL,
    identity         TEXT NOT NULL,               -- phone digits, or 'user:' + provider user id
    phone            TEXT,
    provider_user_id TEXT,
    name             TEXT,
    first_seen_at    BIGINT NOT NULL,
    last_seen_at     BIGINT NOT NULL,
    PRIMARY KEY (site_id, contact_id),
    UNIQUE (site_id, channel, identity)
);

CREATE TABLE dialogs (
    site_id         UUID NOT NULL,
    dialog_id       UUID NOT NULL,
    contact_id      UUID NOT NULL,
    kind            TEXT NOT NULL,                -- new | repeat
    started_at      BIGINT NOT NULL,
    last_message_at BIGINT NOT NULL,
    business_number TEXT NOT NULL,
    first_message   TEXT,
    match_kind      TEXT NOT NULL,                -- exact | none
    code            TEXT,
    confidence      DOUBLE PRECISION,
    session_id      UUID,
    click_id        UUID,
    PRIMARY KEY (site_id, dialog_id)
);
CREATE INDEX dialogs_by_contact ON dialogs (site_id, contact_id, started_at);
CREATE INDEX dialogs_by_start ON dialogs (site_id, started_at);

CREATE TABLE messages (
    site_id             UUID NOT NULL,
    provider            TEXT NOT NULL,
    provider_message_id TEXT NOT NULL,
    dialog_id           UUID,
    contact_id          UUID,
    message_type        TEXT NOT NULL,
    body                TEXT,
    sent_at             BIGINT NOT NULL,
    received_at         BIGINT NOT NULL,
    PRIMARY KEY (site_id, provider, provider_message_id)
);
CREATE INDEX messages_by_dialog ON messages (site_id, dialog_id, sent_at);

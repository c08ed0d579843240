-- Inbound completeness: provider settings per site, ad referrals and delivery statuses per
-- message, contact usernames, operators' tags. Times are epoch milliseconds.

-- Twilio signs with the account's auth token (needed in clear to compute the HMAC) over the
-- public URL it calls; Telegram sends a secret token we only need to compare (stored hashed).
ALTER TABLE sites ADD COLUMN twilio_auth_token TEXT;
ALTER TABLE sites ADD COLUMN twilio_webhook_url TEXT;
ALTER TABLE sites ADD COLUMN telegram_bot TEXT;
ALTER TABLE sites ADD COLUMN telegram_secret_hash TEXT;

-- Written when a dialog starts on the number: on PostgreSQL the row lock serialises dialog
-- starts per number, so "exactly one unmatched click" is decided on a stable view.
ALTER TABLE tracked_numbers ADD COLUMN last_dialog_at BIGINT;

ALTER TABLE contacts ADD COLUMN username TEXT;
-- A contact is found by any of its identifiers: phone and business-scoped user id come
-- and go independently (usernames, number changes).
CREATE INDEX contacts_by_user_id ON contacts (site_id, channel, provider_user_id);
CREATE INDEX contacts_by_phone ON contacts (site_id, channel, phone);

-- The Click-to-WhatsApp ad a dialog is attributed to (match_kind 'referral'), or that
-- came with an exactly matched first message.
ALTER TABLE dialogs ADD COLUMN referral_id UUID;
CREATE INDEX dialogs_by_session ON dialogs (site_id, session_id);

-- One row per message that carried a `referral` object, stored as soon as it arrives.
CREATE TABLE referrals (
    site_id             UUID NOT NULL,
    referral_id         UUID NOT NULL,
    provider            TEXT NOT NULL,
    provider_message_id TEXT NOT NULL,
    source_id           TEXT,
    source_url          TEXT,
    source_type         TEXT,
    headline            TEXT,
    body                TEXT,
    media_type          TEXT,
    media_id            TEXT,
    image_url           TEXT,
    video_url           TEXT,
    thumbnail_url       TEXT,
    ctwa_clid           TEXT,
    welcome_message     TEXT,
    received_at         BIGINT NOT NULL,
    PRIMARY KEY (site_id, referral_id),
    UNIQUE (site_id, provider, provider_message_id)
);

-- Delivery status of messages the business sent, one row per message. The status only
-- moves forward (sent < delivered < read < played; failed is final); each status keeps
-- the event time it first happened at, whatever order the webhooks arrive in.
CREATE TABLE message_statuses (
    site_id             UUID NOT NULL,
    provider            TEXT NOT NULL,
    provider_message_id TEXT NOT NULL,
    recipient           TEXT,
    status              TEXT NOT NULL,
    status_rank         BIGINT NOT NULL,
    status_at           BIGINT NOT NULL,
    sent_at             BIGINT,
    delivered_at        BIGINT,
    read_at             BIGINT,
    played_at           BIGINT,
    failed_at           BIGINT,
    errors              TEXT,                      -- JSON array, as the provider sent it
    pricing_category    TEXT,
    updated_at          BIGINT NOT NULL,
    PRIMARY KEY (site_id, provider, provider_message_id)
);

CREATE TABLE dialog_tags (
    site_id    UUID NOT NULL,
    dialog_id  UUID NOT NULL,
    tag        TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (site_id, dialog_id, tag)
);
CREATE INDEX dialog_tags_by_tag ON dialog_tags (site_id, tag);

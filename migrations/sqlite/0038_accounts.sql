-- Accounts: people who sign in to the dashboard with an e-mail address and a password,
-- each with a role on one or more sites. Unlike every other table these are not keyed by
-- site: one account may hold roles on several sites.

-- email is as given; email_folded (lower-cased) is what is unique and looked up.
-- password_hash is an argon2id PHC string, NULL until an invite is accepted (and again
-- after an admin resets the password).
CREATE TABLE accounts (
    account_id    BLOB PRIMARY KEY,
    email         TEXT NOT NULL,
    email_folded  TEXT NOT NULL UNIQUE,
    password_hash TEXT,
    created_at    INTEGER NOT NULL
);

-- An account's role (operator, analyst, admin) on a site.
CREATE TABLE account_sites (
    account_id BLOB NOT NULL,
    site_id    BLOB NOT NULL,
    role       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, site_id)
);
CREATE INDEX account_sites_by_site ON account_sites (site_id);

-- Signed-in sessions: only the SHA-256 (hex) of the cookie's random value is stored.
CREATE TABLE account_sessions (
    session_hash TEXT PRIMARY KEY,
    account_id   BLOB NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL
);
CREATE INDEX account_sessions_by_account ON account_sessions (account_id);

-- One-time links to set a password (an invite, or an admin's reset): the SHA-256 (hex) of
-- the link's random token, until it is used or expires.
CREATE TABLE account_invites (
    invite_hash TEXT PRIMARY KEY,
    account_id  BLOB NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX account_invites_by_account ON account_invites (account_id);

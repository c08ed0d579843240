-- Outcomes of dialogs: each site's ordered lead stages and its rules, the stage (and, for
-- a won dialog, the value and currency) of each dialog, and every change of them.

-- A site's stages in order; a site without rows has the default set
-- (new, lead, qualified, won, lost). `kind` is open, won or lost.
CREATE TABLE outcome_stages (
    site_id  BLOB NOT NULL,
    position INTEGER NOT NULL,
    name     TEXT NOT NULL,
    kind     TEXT NOT NULL,
    PRIMARY KEY (site_id, position),
    UNIQUE (site_id, name)
);

-- A site's rules, checked in order where tags are added and messages arrive, e.g.
-- `tag:paid -> won` or `text:*invoice paid* -> won`.
CREATE TABLE outcome_rules (
    site_id  BLOB NOT NULL,
    position INTEGER NOT NULL,
    rule     TEXT NOT NULL,
    PRIMARY KEY (site_id, position)
);

-- NULL stage: the site's first stage (nothing set yet). Values are thousandths of the
-- currency's unit (exact sums, three decimals as the ISO 4217 currencies have at most).
ALTER TABLE dialogs ADD COLUMN stage TEXT;
ALTER TABLE dialogs ADD COLUMN value_milli INTEGER;
ALTER TABLE dialogs ADD COLUMN currency TEXT;
ALTER TABLE dialogs ADD COLUMN stage_changed_at INTEGER;
CREATE INDEX dialogs_by_stage ON dialogs (site_id, stage, started_at);

-- Every change of a dialog's outcome: what it became, when, from where (card, api or
-- rule) and who (the token's name, or the rule).
CREATE TABLE dialog_outcome_changes (
    site_id     BLOB NOT NULL,
    dialog_id   BLOB NOT NULL,
    change_id   BLOB NOT NULL,
    changed_at  INTEGER NOT NULL,
    stage       TEXT NOT NULL,
    value_milli INTEGER,
    currency    TEXT,
    source      TEXT NOT NULL,
    actor       TEXT NOT NULL,
    PRIMARY KEY (site_id, dialog_id, change_id)
);

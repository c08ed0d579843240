-- Contact search ignores case in every script: the name lower-cased by the collector
-- (Unicode case folding, whatever the database's locale: LOWER follows the collation, and
-- under C it folds ASCII only), filled for earlier contacts at start-up. The trigram index
-- moves to it.
ALTER TABLE contacts ADD COLUMN name_folded TEXT;
DROP INDEX contacts_search;
CREATE INDEX contacts_search ON contacts
    USING gin (name_folded gin_trgm_ops, phone gin_trgm_ops);

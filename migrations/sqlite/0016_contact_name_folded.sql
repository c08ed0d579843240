-- Contact search ignores case in every script: the name lower-cased by the collector
-- (Unicode case folding; SQLite's LOWER and LIKE fold ASCII only), filled for earlier
-- contacts at start-up.
ALTER TABLE contacts ADD COLUMN name_folded TEXT;

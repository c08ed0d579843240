-- One row that /health rewrites while writes are failing (a full disk, a database that was
-- down), to tell when the database takes writes again: a read alone cannot tell.
CREATE TABLE write_probe (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    at BIGINT NOT NULL
);
INSERT INTO write_probe (id, at) VALUES (1, 0);

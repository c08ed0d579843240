-- Erasures of a contact's data (issue 21): that one happened, when, on whose request and how
-- many rows it removed or made anonymous, never who it was about.
CREATE TABLE erasures (
    site_id      UUID NOT NULL,
    erasure_id   UUID NOT NULL,
    erased_at    BIGINT NOT NULL,
    requested_by TEXT NOT NULL,
    contacts     BIGINT NOT NULL,
    dialogs      BIGINT NOT NULL,
    messages     BIGINT NOT NULL,
    statuses     BIGINT NOT NULL,
    sessions     BIGINT NOT NULL,
    clicks       BIGINT NOT NULL,
    visitors     BIGINT NOT NULL,
    PRIMARY KEY (site_id, erasure_id)
);

-- One row per payment: written before its commit may leave, updated as it
-- settles. Times are Unix milliseconds.
CREATE TABLE payments_journal (
    id           BIGSERIAL PRIMARY KEY,
    provider     TEXT    NOT NULL,
    reference    TEXT    NOT NULL,
    stage        TEXT    NOT NULL,
    prepared     TEXT    NOT NULL,
    outcome      TEXT,
    detail       TEXT,
    attempts     BIGINT  NOT NULL DEFAULT 0,
    lease_owner  TEXT,
    lease_until  BIGINT,
    created_at   BIGINT  NOT NULL,
    updated_at   BIGINT  NOT NULL,
    UNIQUE (provider, reference)
);

CREATE INDEX payments_journal_open ON payments_journal (provider, stage, lease_until);

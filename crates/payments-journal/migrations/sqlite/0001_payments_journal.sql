-- One row per payment: written before its commit may leave, updated as it
-- settles. Times are Unix milliseconds.
CREATE TABLE payments_journal (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    provider     TEXT    NOT NULL,
    reference    TEXT    NOT NULL,
    stage        TEXT    NOT NULL,
    prepared     TEXT    NOT NULL,
    outcome      TEXT,
    detail       TEXT,
    attempts     INTEGER NOT NULL DEFAULT 0,
    lease_owner  TEXT,
    lease_until  INTEGER,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    UNIQUE (provider, reference)
);

CREATE INDEX payments_journal_open ON payments_journal (provider, stage, lease_until);

-- Postbacks are kept per scope, as journal entries are: two merchant
-- accounts' deposits may share a custom_transaction_id. SQLite cannot change
-- a primary key: each table is built anew, its rows copied under the scope
-- `paykassma` (what PaykassmaPostbacks::new uses), the old one dropped and
-- the new one renamed.
CREATE TABLE paykassma_postbacks_scoped (
    scope                 TEXT    NOT NULL,
    custom_transaction_id TEXT    NOT NULL,
    record                TEXT    NOT NULL,
    version               INTEGER NOT NULL,
    updated_at            INTEGER NOT NULL,
    PRIMARY KEY (scope, custom_transaction_id)
);
INSERT INTO paykassma_postbacks_scoped (scope, custom_transaction_id, record, version, updated_at)
    SELECT 'paykassma', custom_transaction_id, record, version, updated_at FROM paykassma_postbacks;
DROP TABLE paykassma_postbacks;
ALTER TABLE paykassma_postbacks_scoped RENAME TO paykassma_postbacks;

CREATE TABLE paykassma_unmatched_scoped (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    scope       TEXT    NOT NULL,
    delivery    TEXT    NOT NULL,
    received_at INTEGER NOT NULL,
    UNIQUE (scope, delivery)
);
INSERT INTO paykassma_unmatched_scoped (id, scope, delivery, received_at)
    SELECT id, 'paykassma', delivery, received_at FROM paykassma_unmatched;
DROP TABLE paykassma_unmatched;
ALTER TABLE paykassma_unmatched_scoped RENAME TO paykassma_unmatched;

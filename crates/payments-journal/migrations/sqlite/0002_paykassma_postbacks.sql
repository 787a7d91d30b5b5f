-- Paykassma's verified postbacks, shared by every replica (the `paykassma`
-- feature's store). `record` is the JSON of `paykassma::PostbackRecord`;
-- `version` makes each change a compare-and-set.
CREATE TABLE paykassma_postbacks (
    custom_transaction_id TEXT    PRIMARY KEY,
    record                TEXT    NOT NULL,
    version               INTEGER NOT NULL,
    updated_at            INTEGER NOT NULL
);

-- Verified postbacks without a custom_transaction_id, kept for manual matching.
CREATE TABLE paykassma_unmatched (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery    TEXT    NOT NULL UNIQUE,
    received_at INTEGER NOT NULL
);

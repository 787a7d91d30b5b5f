-- What a restore needs is sealed with the merchant's key (XChaCha20-Poly1305,
-- bound to the entry's scope and reference) and erased when the entry is
-- final or abandoned: the column holds `v1:` and the sealed text, or '' once
-- erased. Rows written before this migration hold clear JSON until the
-- journal, opened with its key, seals (open entries) or erases (final ones)
-- them: SQL cannot encrypt, so that step is the journal's, in Rust.
ALTER TABLE payments_journal RENAME COLUMN prepared TO sealed;

-- One row: a known text sealed with the journal's key, so that a journal
-- opened with another key is refused at once (rather than quarantining every
-- open entry at its next sweep); and when the clear rows of earlier versions
-- were sealed (Unix milliseconds; NULL until then). Once set, a clear state
-- found in an entry is never trusted.
CREATE TABLE payments_journal_seal (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    key_check     TEXT    NOT NULL,
    legacy_sealed INTEGER,
    created_at    INTEGER NOT NULL
);

-- One merchant order is one payment: orders are keyed by (scope, order id).
-- A row per order: the keyed digests of its terms (a repeat on other terms
-- is refused; never a voucher code or a token in clear), the attempt being
-- paid (a new one only after a proven failure, and only when the merchant
-- asks), and the lease of the process preparing that attempt. Times are Unix
-- milliseconds.
CREATE TABLE payments_orders (
    provider     TEXT    NOT NULL,
    order_id     TEXT    NOT NULL,
    terms        TEXT    NOT NULL,
    attempt      BIGINT  NOT NULL,
    lease_owner  TEXT,
    lease_until  BIGINT,
    created_at   BIGINT  NOT NULL,
    updated_at   BIGINT  NOT NULL,
    PRIMARY KEY (provider, order_id)
);

-- Each entry names its order and attempt (NULL for entries journaled before
-- order ids: they stay settleable by reference). One entry per attempt: a
-- second commit of one attempt cannot even be written down.
ALTER TABLE payments_journal ADD COLUMN order_id TEXT;
ALTER TABLE payments_journal ADD COLUMN order_attempt BIGINT;
CREATE UNIQUE INDEX payments_journal_order ON payments_journal (provider, order_id, order_attempt);
CREATE INDEX payments_journal_age ON payments_journal (provider, stage, updated_at);

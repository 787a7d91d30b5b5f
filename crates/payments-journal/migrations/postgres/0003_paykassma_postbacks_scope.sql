-- Postbacks are kept per scope, as journal entries are: two merchant
-- accounts' deposits may share a custom_transaction_id. Rows already there
-- take the scope `paykassma` (what PaykassmaPostbacks::new uses).
ALTER TABLE paykassma_postbacks ADD COLUMN scope TEXT NOT NULL DEFAULT 'paykassma';
ALTER TABLE paykassma_postbacks ALTER COLUMN scope DROP DEFAULT;
ALTER TABLE paykassma_postbacks DROP CONSTRAINT paykassma_postbacks_pkey;
ALTER TABLE paykassma_postbacks ADD PRIMARY KEY (scope, custom_transaction_id);

ALTER TABLE paykassma_unmatched ADD COLUMN scope TEXT NOT NULL DEFAULT 'paykassma';
ALTER TABLE paykassma_unmatched ALTER COLUMN scope DROP DEFAULT;
ALTER TABLE paykassma_unmatched DROP CONSTRAINT paykassma_unmatched_delivery_key;
ALTER TABLE paykassma_unmatched ADD CONSTRAINT paykassma_unmatched_scope_delivery_key UNIQUE (scope, delivery);

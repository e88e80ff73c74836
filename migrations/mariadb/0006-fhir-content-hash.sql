-- 0006: a hash of each current FHIR resource's content (without the store's meta), so a write that
-- changes nothing is recognised without reading the content back (src/fhir/store/apply.ts). NULL:
-- written before this migration; such a row is compared by its content and gets its hash then.
-- A nullable column without a default is added in place (instant), without copying the table.
ALTER TABLE fhir_resource ADD COLUMN IF NOT EXISTS content_hash VARCHAR(64) NULL;

-- 0006 (embedded engine; as migrations/mariadb/0006-fhir-content-hash.sql): a hash of each current
-- FHIR resource's content, so an unchanged write is recognised without reading the content back.
ALTER TABLE fhir_resource ADD COLUMN content_hash TEXT NULL;

-- 0005 (embedded engine; as migrations/mariadb/0005-fhir-message.sql): which message wrote each FHIR
-- resource version. NULL: written before this migration, or by a writer with no message.
ALTER TABLE fhir_history ADD COLUMN message_id INTEGER NULL;
CREATE INDEX IF NOT EXISTS ix_fhir_history_message_id ON fhir_history (message_id);

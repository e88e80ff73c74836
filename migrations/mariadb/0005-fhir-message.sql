-- 0005: which message wrote each FHIR resource version (GET /api/messages/:id/fhir, the patient
-- timeline of the console). NULL: written before this migration, or by a writer with no message.
-- A nullable column without a default is added in place (instant), without copying the table.
ALTER TABLE fhir_history ADD COLUMN IF NOT EXISTS message_id BIGINT NULL;
CREATE INDEX IF NOT EXISTS ix_fhir_history_message_id ON fhir_history (message_id);

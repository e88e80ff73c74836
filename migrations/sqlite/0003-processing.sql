-- 0003: processing state on each event (docs/processing.md). NULL state: a refused row, or a row
-- stored before processing existed (never claimed; POST /api/processing/retry can take them in).
ALTER TABLE hl7_message ADD COLUMN processing_state TEXT NULL;
ALTER TABLE hl7_message ADD COLUMN processing_attempts INTEGER NULL;
ALTER TABLE hl7_message ADD COLUMN processing_error TEXT NULL;
ALTER TABLE hl7_message ADD COLUMN next_attempt_at TEXT NULL;
ALTER TABLE hl7_message ADD COLUMN processed_at TEXT NULL;
ALTER TABLE hl7_message ADD COLUMN ordering_key TEXT NULL;
CREATE INDEX IF NOT EXISTS ix_hl7_message_processing_state_id ON hl7_message (processing_state, id);

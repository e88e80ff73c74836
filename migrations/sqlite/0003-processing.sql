-- 0003: processing state on each event (docs/processing.md). NULL state: a refused row, or a row
-- stored before processing existed (never claimed; POST /api/processing/retry can take them in).
ALTER TABLE hl7_message ADD COLUMN processing_state TEXT NULL;
ALTER TABLE hl7_message ADD COLUMN processing_attempts INTEGER NULL;
ALTER TABLE hl7_message ADD COLUMN processing_error TEXT NULL;
ALTER TABLE hl7_message ADD COLUMN next_attempt_at TEXT NULL;
ALTER TABLE hl7_message ADD COLUMN processed_at TEXT NULL;
ALTER TABLE hl7_message ADD COLUMN ordering_key TEXT NULL;
CREATE INDEX IF NOT EXISTS ix_hl7_message_processing_state_id ON hl7_message (processing_state, id);
-- The claim's fencing token while `processing` (next_attempt_at then holds the lease's end).
ALTER TABLE hl7_message ADD COLUMN processing_owner TEXT NULL;
CREATE INDEX IF NOT EXISTS ix_hl7_message_processing_lane ON hl7_message (processing_state, ordering_key, id);
-- One row per lane being worked on, for locking only (state lives in hl7_message).
CREATE TABLE IF NOT EXISTS processing_lane (lane_key TEXT NOT NULL PRIMARY KEY, owner TEXT NULL, lease_until TEXT NULL);
-- Settings the stored data depends on: `ordering` (the mode the waiting events are keyed for).
CREATE TABLE IF NOT EXISTS processing_setting (name TEXT NOT NULL PRIMARY KEY, value TEXT NOT NULL);

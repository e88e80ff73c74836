-- 0003: processing state on each event (docs/processing.md). NULL state: a refused row, or a row
-- stored before processing existed (never claimed; POST /api/processing/retry can take them in).
-- Nullable columns without a default are added in place (instant), without copying the table.
ALTER TABLE hl7_message
  ADD COLUMN IF NOT EXISTS processing_state ENUM('received', 'processing', 'processed', 'failed', 'skipped') NULL,
  ADD COLUMN IF NOT EXISTS processing_attempts SMALLINT UNSIGNED NULL,
  ADD COLUMN IF NOT EXISTS processing_error VARCHAR(1000) NULL,
  ADD COLUMN IF NOT EXISTS next_attempt_at DATETIME(3) NULL,
  ADD COLUMN IF NOT EXISTS processed_at DATETIME(3) NULL,
  -- The lane the event is ordered in (patient key, sender key, or one lane for sequential).
  ADD COLUMN IF NOT EXISTS ordering_key VARCHAR(255) NULL;
-- Backlog by state, and the oldest waiting event (GET /api/processing, /health/ready).
CREATE INDEX IF NOT EXISTS ix_hl7_message_processing_state_id ON hl7_message (processing_state, id);

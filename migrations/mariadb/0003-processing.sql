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
-- The claim of an event while it is `processing`: the claim's fencing token (instance id + claim
-- number); next_attempt_at then holds the lease's end, after which another instance takes it over.
ALTER TABLE hl7_message ADD COLUMN IF NOT EXISTS processing_owner VARCHAR(64) NULL;
-- A lane's waiting events in id order, its head, its failed events (src/processing/claim-steps.ts).
CREATE INDEX IF NOT EXISTS ix_hl7_message_processing_lane ON hl7_message (processing_state, ordering_key, id);
-- One row per lane being worked on, for locking only (state lives in hl7_message): the holder's
-- token and lease. Free rows (owner NULL) are deleted from time to time.
CREATE TABLE IF NOT EXISTS processing_lane (
  lane_key VARCHAR(255) NOT NULL PRIMARY KEY,
  owner VARCHAR(64) NULL,
  lease_until DATETIME(3) NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
-- Settings the stored data depends on: `ordering` (the mode the waiting events are keyed for).
CREATE TABLE IF NOT EXISTS processing_setting (
  name VARCHAR(64) NOT NULL PRIMARY KEY,
  value VARCHAR(255) NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

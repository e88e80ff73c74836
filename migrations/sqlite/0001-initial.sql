-- 0001: the schema of the releases before numbered migrations (embedded engine). A file of such a
-- release has no schema_migrations yet, so this runs once on it as well as on an empty file. A file
-- of the first release lacks tls_client_subject; SQLite has no ADD COLUMN IF NOT EXISTS, so the
-- runner adds that column before this runs (sqlite-migrate.ts). Never edit once released; add a file.
-- STRICT makes SQLite check column types the way MariaDB does. Column comments: scripts/create-schema.sql.

CREATE TABLE IF NOT EXISTS hl7_message (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  dedup_key TEXT NULL,
  control_id TEXT NULL,
  sending_application TEXT NULL,
  sending_facility TEXT NULL,
  receiving_application TEXT NULL,
  receiving_facility TEXT NULL,
  message_type TEXT NULL,
  trigger_event TEXT NULL,
  version TEXT NULL,
  patient_id TEXT NULL,
  transport TEXT NOT NULL CHECK (transport IN ('mllp', 'https')),
  remote_address TEXT NULL,
  tls_client_subject TEXT NULL,
  -- ISO 8601 UTC with milliseconds (Date#toISOString): sorts as text in time order.
  received_at TEXT NOT NULL,
  charset TEXT NULL,
  raw BLOB NOT NULL,
  content_hash TEXT NOT NULL,
  ack_code TEXT NULL,
  ack BLOB NULL,
  status TEXT NOT NULL CHECK (status IN ('received', 'rejected')),
  error TEXT NULL
) STRICT;

-- A UNIQUE index in SQLite, as in MariaDB, lets any number of rows hold NULL.
CREATE UNIQUE INDEX IF NOT EXISTS uq_hl7_message_dedup_key ON hl7_message (dedup_key);
CREATE INDEX IF NOT EXISTS ix_hl7_message_sender_control_id
  ON hl7_message (sending_application, sending_facility, control_id);
CREATE INDEX IF NOT EXISTS ix_hl7_message_control_id ON hl7_message (control_id);
CREATE INDEX IF NOT EXISTS ix_hl7_message_patient_id ON hl7_message (patient_id);
CREATE INDEX IF NOT EXISTS ix_hl7_message_type_event ON hl7_message (message_type, trigger_event);
-- The list order and its keyset (received_at desc, id desc); replaces the index on received_at alone.
CREATE INDEX IF NOT EXISTS ix_hl7_message_received_at_id ON hl7_message (received_at, id);
DROP INDEX IF EXISTS ix_hl7_message_received_at;
-- Retention per status, oldest first, and the list filtered by status; replaces the one on status.
CREATE INDEX IF NOT EXISTS ix_hl7_message_status_received_at ON hl7_message (status, received_at);
DROP INDEX IF EXISTS ix_hl7_message_status;

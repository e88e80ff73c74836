-- 0001: the schema of the releases before numbered migrations (MariaDB 10.11+). A database of such a
-- release has no schema_migrations yet, so this runs once on it as well as on an empty database:
-- every statement is a no-op where its change is already made. Never edit once released; add a file.
-- Column comments: scripts/create-schema.sql.

CREATE TABLE IF NOT EXISTS hl7_message (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  dedup_key CHAR(64) NULL,
  control_id VARCHAR(199) NULL,
  sending_application VARCHAR(227) NULL,
  sending_facility VARCHAR(227) NULL,
  receiving_application VARCHAR(227) NULL,
  receiving_facility VARCHAR(227) NULL,
  message_type VARCHAR(20) NULL,
  trigger_event VARCHAR(20) NULL,
  version VARCHAR(20) NULL,
  patient_id VARCHAR(250) NULL,
  transport ENUM('mllp', 'https') NOT NULL,
  remote_address VARCHAR(64) NULL,
  tls_client_subject VARCHAR(512) NULL,
  received_at DATETIME(3) NOT NULL,
  charset VARCHAR(32) NULL,
  raw LONGBLOB NOT NULL,
  content_hash CHAR(64) NOT NULL,
  ack_code CHAR(2) NULL,
  ack MEDIUMBLOB NULL,
  status ENUM('received', 'rejected') NOT NULL,
  error VARCHAR(1000) NULL,
  CONSTRAINT uq_hl7_message_dedup_key UNIQUE (dedup_key)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- A table of the first release: tls_client_subject, and the ACK as a MEDIUMBLOB (a BLOB refused the
-- row of a message with huge header fields). The MODIFY copies such a table once.
ALTER TABLE hl7_message ADD COLUMN IF NOT EXISTS tls_client_subject VARCHAR(512) NULL AFTER remote_address;
ALTER TABLE hl7_message MODIFY ack MEDIUMBLOB NULL;

CREATE INDEX IF NOT EXISTS ix_hl7_message_sender_control_id
  ON hl7_message (sending_application, sending_facility, control_id);
CREATE INDEX IF NOT EXISTS ix_hl7_message_control_id ON hl7_message (control_id);
CREATE INDEX IF NOT EXISTS ix_hl7_message_patient_id ON hl7_message (patient_id);
CREATE INDEX IF NOT EXISTS ix_hl7_message_type_event ON hl7_message (message_type, trigger_event);
-- The list order and its keyset (received_at desc, id desc); replaces the index on received_at alone.
CREATE INDEX IF NOT EXISTS ix_hl7_message_received_at_id ON hl7_message (received_at, id);
DROP INDEX IF EXISTS ix_hl7_message_received_at ON hl7_message;
-- Retention per status, oldest first, and the list filtered by status; replaces the one on status.
CREATE INDEX IF NOT EXISTS ix_hl7_message_status_received_at ON hl7_message (status, received_at);
DROP INDEX IF EXISTS ix_hl7_message_status ON hl7_message;

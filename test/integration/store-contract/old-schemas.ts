// The schemas of the releases before numbered migrations, to test the upgrade at start-up: the first
// release (before tls_client_subject and the keyset indexes), and the last one, whose start-up applied
// its whole schema file every time (the source of 0001-initial). Copied from scripts/create-schema.sql
// and src/store/sqlite-schema.ts of those releases, comments left out; never change these.

export const firstReleaseMariaDb = [
  `CREATE TABLE hl7_message (
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
  received_at DATETIME(3) NOT NULL,
  charset VARCHAR(32) NULL,
  raw LONGBLOB NOT NULL,
  content_hash CHAR(64) NOT NULL,
  ack_code CHAR(2) NULL,
  ack BLOB NULL,
  status ENUM('received', 'rejected') NOT NULL,
  error VARCHAR(1000) NULL,
  CONSTRAINT uq_hl7_message_dedup_key UNIQUE (dedup_key)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin`,
  'CREATE INDEX ix_hl7_message_sender_control_id ON hl7_message (sending_application, sending_facility, control_id)',
  'CREATE INDEX ix_hl7_message_control_id ON hl7_message (control_id)',
  'CREATE INDEX ix_hl7_message_patient_id ON hl7_message (patient_id)',
  'CREATE INDEX ix_hl7_message_type_event ON hl7_message (message_type, trigger_event)',
  'CREATE INDEX ix_hl7_message_received_at ON hl7_message (received_at)',
  'CREATE INDEX ix_hl7_message_status ON hl7_message (status)',
];

export const firstReleaseSqlite = `
CREATE TABLE hl7_message (
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
  received_at TEXT NOT NULL,
  charset TEXT NULL,
  raw BLOB NOT NULL,
  content_hash TEXT NOT NULL,
  ack_code TEXT NULL,
  ack BLOB NULL,
  status TEXT NOT NULL CHECK (status IN ('received', 'rejected')),
  error TEXT NULL
) STRICT;
CREATE UNIQUE INDEX uq_hl7_message_dedup_key ON hl7_message (dedup_key);
CREATE INDEX ix_hl7_message_sender_control_id ON hl7_message (sending_application, sending_facility, control_id);
CREATE INDEX ix_hl7_message_control_id ON hl7_message (control_id);
CREATE INDEX ix_hl7_message_patient_id ON hl7_message (patient_id);
CREATE INDEX ix_hl7_message_type_event ON hl7_message (message_type, trigger_event);
CREATE INDEX ix_hl7_message_received_at ON hl7_message (received_at);
CREATE INDEX ix_hl7_message_status ON hl7_message (status);
`;

/** One row in the first release's columns (no tls_client_subject). */
export const firstReleaseInsert =
  'INSERT INTO hl7_message (dedup_key, control_id, sending_application, sending_facility, transport, remote_address, ' +
  "received_at, raw, content_hash, ack_code, status) VALUES (?, ?, 'OLDAPP', 'OLDFAC', 'mllp', '10.0.0.1', ?, ?, ?, 'AA', 'received')";

/** Index names after the upgrade, and those it drops. */
export const upgradedIndexes = ['ix_hl7_message_received_at_id', 'ix_hl7_message_status_received_at'];
export const droppedIndexes = ['ix_hl7_message_received_at', 'ix_hl7_message_status'];

/** scripts/create-schema.sql of the last release before migrations (idempotent; split-sql.ts splits it). */
export const lastUnnumberedMariaDb = `
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
ALTER TABLE hl7_message ADD COLUMN IF NOT EXISTS tls_client_subject VARCHAR(512) NULL AFTER remote_address;
ALTER TABLE hl7_message MODIFY ack MEDIUMBLOB NULL;
CREATE INDEX IF NOT EXISTS ix_hl7_message_sender_control_id
  ON hl7_message (sending_application, sending_facility, control_id);
CREATE INDEX IF NOT EXISTS ix_hl7_message_control_id ON hl7_message (control_id);
CREATE INDEX IF NOT EXISTS ix_hl7_message_patient_id ON hl7_message (patient_id);
CREATE INDEX IF NOT EXISTS ix_hl7_message_type_event ON hl7_message (message_type, trigger_event);
CREATE INDEX IF NOT EXISTS ix_hl7_message_received_at_id ON hl7_message (received_at, id);
DROP INDEX IF EXISTS ix_hl7_message_received_at ON hl7_message;
CREATE INDEX IF NOT EXISTS ix_hl7_message_status_received_at ON hl7_message (status, received_at);
DROP INDEX IF EXISTS ix_hl7_message_status ON hl7_message;
`;

/** src/store/sqlite-schema.ts of the last release before migrations (it added tls_client_subject in code). */
export const lastUnnumberedSqlite = `
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
  received_at TEXT NOT NULL,
  charset TEXT NULL,
  raw BLOB NOT NULL,
  content_hash TEXT NOT NULL,
  ack_code TEXT NULL,
  ack BLOB NULL,
  status TEXT NOT NULL CHECK (status IN ('received', 'rejected')),
  error TEXT NULL
) STRICT;
`;
const createIndexes = `
CREATE UNIQUE INDEX IF NOT EXISTS uq_hl7_message_dedup_key ON hl7_message (dedup_key);
CREATE INDEX IF NOT EXISTS ix_hl7_message_sender_control_id
  ON hl7_message (sending_application, sending_facility, control_id);
CREATE INDEX IF NOT EXISTS ix_hl7_message_control_id ON hl7_message (control_id);
CREATE INDEX IF NOT EXISTS ix_hl7_message_patient_id ON hl7_message (patient_id);
CREATE INDEX IF NOT EXISTS ix_hl7_message_type_event ON hl7_message (message_type, trigger_event);
CREATE INDEX IF NOT EXISTS ix_hl7_message_received_at_id ON hl7_message (received_at, id);
DROP INDEX IF EXISTS ix_hl7_message_received_at;
CREATE INDEX IF NOT EXISTS ix_hl7_message_status_received_at ON hl7_message (status, received_at);
DROP INDEX IF EXISTS ix_hl7_message_status;
`;

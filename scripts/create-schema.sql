-- hl7v2-listener: the complete current MariaDB schema (10.11+), for a DBA who applies it by hand:
--   mariadb hl7 < scripts/create-schema.sql
-- It creates no database and selects none; the connection chooses it. The service does not read this
-- file: at start-up it applies what is pending of migrations/mariadb/ (numbered, recorded in
-- schema_migrations, under a lock). This file makes exactly what those migrations make, and records
-- them as applied, so a service started afterwards runs no DDL (test/integration/schema-migrations
-- compares the two). A new migration changes this file too: its statements, and its row at the end.
-- Idempotent: on a database of a release before migrations it makes the same upgrades. On a database
-- that already has schema_migrations, apply only the migrations it lacks instead (docs/operations.md):
-- this file's ALTERs would wait for every open transaction on hl7_message, and the service's inserts
-- behind them.

CREATE TABLE IF NOT EXISTS hl7_message (
  -- Surrogate key, in arrival order.
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  -- sha256 hex of MSH-3/MSH-4/MSH-10 for accepted rows; NULL for refused rows (many NULLs are allowed).
  dedup_key CHAR(64) NULL,
  -- MSH-10 message control id.
  control_id VARCHAR(199) NULL,
  -- MSH-3 / MSH-4 / MSH-5 / MSH-6, as received (HD data type).
  sending_application VARCHAR(227) NULL,
  sending_facility VARCHAR(227) NULL,
  receiving_application VARCHAR(227) NULL,
  receiving_facility VARCHAR(227) NULL,
  -- MSH-9.1 / MSH-9.2 / MSH-12.1.
  message_type VARCHAR(20) NULL,
  trigger_event VARCHAR(20) NULL,
  version VARCHAR(20) NULL,
  -- PID-3 first identifier, for search. Never logged.
  patient_id VARCHAR(250) NULL,
  -- PID-3.4 of that identifier: its assigning authority (HD), as received.
  patient_authority VARCHAR(227) NULL,
  -- The door the message came through, and the peer address.
  transport ENUM('mllp', 'https') NOT NULL,
  remote_address VARCHAR(64) NULL,
  -- Subject of the peer's TLS client certificate (mutual TLS), else NULL.
  tls_client_subject VARCHAR(512) NULL,
  -- When the message was received, in UTC, to the millisecond.
  received_at DATETIME(3) NOT NULL,
  -- The charset used to decode the message.
  charset VARCHAR(32) NULL,
  -- The exact bytes between the MLLP start and end blocks (or the HTTP body).
  raw LONGBLOB NOT NULL,
  -- sha256 hex of raw: tells a true resend from a different message reusing MSH-10.
  content_hash CHAR(64) NOT NULL,
  -- MSA-1 of the ACK sent, and the exact ACK bytes (NULL when no ACK was sent).
  ack_code CHAR(2) NULL,
  ack MEDIUMBLOB NULL,
  -- received: stored as accepted; rejected: refused (AE/AR/CE/CR), kept for the record.
  status ENUM('received', 'rejected') NOT NULL,
  -- Why it was refused (field names and error codes, never values).
  error VARCHAR(1000) NULL,
  CONSTRAINT uq_hl7_message_dedup_key UNIQUE (dedup_key)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
-- utf8mb4_bin: identifiers compare exactly (case-sensitive), as they do in the embedded engine.

-- Upgrades of a table created by an earlier release (each a no-op when already done; InnoDB adds a
-- column in place, without copying the table).
ALTER TABLE hl7_message ADD COLUMN IF NOT EXISTS tls_client_subject VARCHAR(512) NULL AFTER remote_address;
-- The ACK echoes MSH-3..6 and MSH-10: a BLOB (64 KiB) refused the row of a message with huge header
-- fields, and the sender was told "send again later" for ever. This one copies a first-release table
-- once (a no-op afterwards); on a large table, run it by hand before upgrading (docs/operations.md).
ALTER TABLE hl7_message MODIFY ack MEDIUMBLOB NULL;
ALTER TABLE hl7_message ADD COLUMN IF NOT EXISTS patient_authority VARCHAR(227) NULL AFTER patient_id;
-- Processing state (docs/processing.md); NULL for refused rows and rows stored before processing.
ALTER TABLE hl7_message ADD COLUMN IF NOT EXISTS processing_state ENUM('received', 'processing', 'processed', 'failed', 'skipped') NULL;
ALTER TABLE hl7_message ADD COLUMN IF NOT EXISTS processing_attempts SMALLINT UNSIGNED NULL;
ALTER TABLE hl7_message ADD COLUMN IF NOT EXISTS processing_error VARCHAR(1000) NULL;
ALTER TABLE hl7_message ADD COLUMN IF NOT EXISTS next_attempt_at DATETIME(3) NULL;
ALTER TABLE hl7_message ADD COLUMN IF NOT EXISTS processed_at DATETIME(3) NULL;
ALTER TABLE hl7_message ADD COLUMN IF NOT EXISTS ordering_key VARCHAR(255) NULL;
-- The claim's fencing token while `processing` (next_attempt_at then holds the lease's end).
ALTER TABLE hl7_message ADD COLUMN IF NOT EXISTS processing_owner VARCHAR(64) NULL;

-- What operators search by.
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
-- Backlog by state, and the oldest waiting event.
CREATE INDEX IF NOT EXISTS ix_hl7_message_processing_state_id ON hl7_message (processing_state, id);
-- A lane's waiting events in id order, its head, its failed events (processing claims).
CREATE INDEX IF NOT EXISTS ix_hl7_message_processing_lane ON hl7_message (processing_state, ordering_key, id);

-- Processing: one row per lane being worked on, for locking only (state lives in hl7_message).
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

-- FHIR R4 resources (migration 0004): times are epoch milliseconds, date ranges [lo, hi).
-- The current version of each resource. event_time: the newest event that wrote it (an older one is
-- ignored); merged_into: for a Patient merged away (link replaced-by), its survivor's id.
CREATE TABLE IF NOT EXISTS fhir_resource (
  resource_type VARCHAR(64) NOT NULL,
  id VARCHAR(64) NOT NULL,
  version INT UNSIGNED NOT NULL,
  event_time BIGINT NOT NULL,
  last_updated BIGINT NOT NULL,
  deleted TINYINT NOT NULL DEFAULT 0,
  merged_into VARCHAR(64) NULL,
  content LONGTEXT NOT NULL,
  -- A hash of the content without meta.versionId/lastUpdated (migration 0006); NULL: not yet known.
  content_hash VARCHAR(64) NULL,
  PRIMARY KEY (resource_type, id),
  KEY ix_fhir_resource_merged_into (merged_into)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- Every version, the current one included (/_history).
CREATE TABLE IF NOT EXISTS fhir_history (
  resource_type VARCHAR(64) NOT NULL,
  id VARCHAR(64) NOT NULL,
  version INT UNSIGNED NOT NULL,
  last_updated BIGINT NOT NULL,
  content LONGTEXT NOT NULL,
  -- The message whose processing wrote the version (migration 0005); NULL: none recorded.
  message_id BIGINT NULL,
  PRIMARY KEY (resource_type, id, version),
  KEY ix_fhir_history_message_id (message_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- Patient search: gender and birth date as a range.
CREATE TABLE IF NOT EXISTS fhir_patient (
  id VARCHAR(64) NOT NULL PRIMARY KEY,
  gender VARCHAR(16) NULL,
  birth_lo BIGINT NULL,
  birth_hi BIGINT NULL,
  KEY ix_fhir_patient_birth (birth_lo, birth_hi)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- Patient name parts (family, given, prefix, suffix, text): norm is lower case without accents,
-- exact_value as written. The birth range is repeated here so family + birthdate is one index range.
CREATE TABLE IF NOT EXISTS fhir_patient_name (
  patient_id VARCHAR(64) NOT NULL,
  part VARCHAR(8) NOT NULL,
  exact_value VARCHAR(200) NOT NULL,
  norm VARCHAR(200) NOT NULL,
  birth_lo BIGINT NULL,
  birth_hi BIGINT NULL,
  PRIMARY KEY (patient_id, part, exact_value),
  KEY ix_fhir_patient_name_norm (part, norm, birth_lo, birth_hi)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- Patient identifiers (system '' when the identifier has none).
CREATE TABLE IF NOT EXISTS fhir_identifier (
  patient_id VARCHAR(64) NOT NULL,
  system VARCHAR(255) NOT NULL,
  value VARCHAR(255) NOT NULL,
  PRIMARY KEY (patient_id, system, value),
  KEY ix_fhir_identifier_value (value, system)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- The patient compartment (?patient=, $everything), with each resource's date range and status.
CREATE TABLE IF NOT EXISTS fhir_compartment (
  patient_id VARCHAR(64) NOT NULL,
  resource_type VARCHAR(64) NOT NULL,
  resource_id VARCHAR(64) NOT NULL,
  date_lo BIGINT NULL,
  date_hi BIGINT NULL,
  status VARCHAR(64) NULL,
  PRIMARY KEY (patient_id, resource_type, resource_id),
  KEY ix_fhir_compartment_resource (resource_type, resource_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- Codes of the non-Patient resources (?code=system|code).
CREATE TABLE IF NOT EXISTS fhir_code (
  resource_type VARCHAR(64) NOT NULL,
  resource_id VARCHAR(64) NOT NULL,
  system VARCHAR(255) NOT NULL,
  code VARCHAR(255) NOT NULL,
  PRIMARY KEY (resource_type, resource_id, system, code)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- The migrations this file stands for: version, file name, sha256 of the file (sha256sum), when.
CREATE TABLE IF NOT EXISTS schema_migrations (
  version INT UNSIGNED NOT NULL PRIMARY KEY,
  name VARCHAR(200) NOT NULL,
  checksum CHAR(64) NOT NULL,
  applied_at DATETIME(3) NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES
  (1, '0001-initial', '387aef53d696b7d3e4aaf53e870cacaae042f35a420f5923848b3e0576939917', UTC_TIMESTAMP(3)),
  (2, '0002-patient-authority', '3d1aa9e3be3a0863553a8e061ff73aac6374cb963f5b0b46dd26db0343941b66', UTC_TIMESTAMP(3)),
  (3, '0003-processing', '7ba290332389e847e0637e58656e0a6087cb2c6222775dc06407939889542896', UTC_TIMESTAMP(3)),
  (4, '0004-fhir', '76c9bc78bb908297c0c7d907965321336a80276836c97601a3b896cdc811eb45', UTC_TIMESTAMP(3)),
  (5, '0005-fhir-message', '497f8e7d3e52946bfa8f406e193f25d780a2e3c2bb1f40dbe1a534161906aaa1', UTC_TIMESTAMP(3)),
  (6, '0006-fhir-content-hash', '11f58aafa39ab36dc6fa1378e88be99e1d47c9fe8b67336e75287a81060572c2', UTC_TIMESTAMP(3))
ON DUPLICATE KEY UPDATE version = version;

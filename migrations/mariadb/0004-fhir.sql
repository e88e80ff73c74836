-- 0004: FHIR R4 resources projected from the events (docs: README "Patient 360"). Times are epoch
-- milliseconds (BIGINT) on both engines; date ranges are [lo, hi) in the same unit. Every table's
-- rows are derived from fhir_resource.content and rewritten with it, in the same transaction.

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
  PRIMARY KEY (resource_type, id, version)
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

-- 0004 (embedded engine; the same tables as migrations/mariadb/0004-fhir.sql): FHIR R4 resources
-- projected from the events (README "Patient 360"). Times are epoch milliseconds (INTEGER); date
-- ranges are [lo, hi) in the same unit. Every table's rows are derived
-- from fhir_resource.content and rewritten with it, in the same transaction.

-- The current version of each resource. event_time: the newest event that wrote it (an older one is
-- ignored); merged_into: for a Patient merged away (link replaced-by), its survivor's id.
CREATE TABLE IF NOT EXISTS fhir_resource (
  resource_type TEXT NOT NULL,
  id TEXT NOT NULL,
  version INTEGER NOT NULL,
  event_time INTEGER NOT NULL,
  last_updated INTEGER NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0,
  merged_into TEXT NULL,
  content TEXT NOT NULL,
  PRIMARY KEY (resource_type, id)
) STRICT;
CREATE INDEX IF NOT EXISTS ix_fhir_resource_merged_into ON fhir_resource (merged_into);

-- Every version, the current one included (/_history).
CREATE TABLE IF NOT EXISTS fhir_history (
  resource_type TEXT NOT NULL,
  id TEXT NOT NULL,
  version INTEGER NOT NULL,
  last_updated INTEGER NOT NULL,
  content TEXT NOT NULL,
  PRIMARY KEY (resource_type, id, version)
) STRICT;

-- Patient search: gender and birth date as a range.
CREATE TABLE IF NOT EXISTS fhir_patient (
  id TEXT NOT NULL PRIMARY KEY,
  gender TEXT NULL,
  birth_lo INTEGER NULL,
  birth_hi INTEGER NULL
) STRICT;
CREATE INDEX IF NOT EXISTS ix_fhir_patient_birth ON fhir_patient (birth_lo, birth_hi);

-- Patient name parts (family, given, prefix, suffix, text): norm is lower case without accents,
-- exact_value as written. The birth range is repeated here so family + birthdate is one index range.
CREATE TABLE IF NOT EXISTS fhir_patient_name (
  patient_id TEXT NOT NULL,
  part TEXT NOT NULL,
  exact_value TEXT NOT NULL,
  norm TEXT NOT NULL,
  birth_lo INTEGER NULL,
  birth_hi INTEGER NULL,
  PRIMARY KEY (patient_id, part, exact_value)
) STRICT;
CREATE INDEX IF NOT EXISTS ix_fhir_patient_name_norm ON fhir_patient_name (part, norm, birth_lo, birth_hi);

-- Patient identifiers (system '' when the identifier has none).
CREATE TABLE IF NOT EXISTS fhir_identifier (
  patient_id TEXT NOT NULL,
  system TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (patient_id, system, value)
) STRICT;
CREATE INDEX IF NOT EXISTS ix_fhir_identifier_value ON fhir_identifier (value, system);

-- The patient compartment (?patient=, $everything), with each resource's date range and status.
CREATE TABLE IF NOT EXISTS fhir_compartment (
  patient_id TEXT NOT NULL,
  resource_type TEXT NOT NULL,
  resource_id TEXT NOT NULL,
  date_lo INTEGER NULL,
  date_hi INTEGER NULL,
  status TEXT NULL,
  PRIMARY KEY (patient_id, resource_type, resource_id)
) STRICT;
CREATE INDEX IF NOT EXISTS ix_fhir_compartment_resource ON fhir_compartment (resource_type, resource_id);

-- Codes of the non-Patient resources (?code=system|code).
CREATE TABLE IF NOT EXISTS fhir_code (
  resource_type TEXT NOT NULL,
  resource_id TEXT NOT NULL,
  system TEXT NOT NULL,
  code TEXT NOT NULL,
  PRIMARY KEY (resource_type, resource_id, system, code)
) STRICT;

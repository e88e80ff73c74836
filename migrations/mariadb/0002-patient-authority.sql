-- 0002: PID-3.4, the assigning authority of the patient identifier (an HD, like MSH-3), for search.
-- InnoDB adds a nullable column in place (instant), without copying the table.
ALTER TABLE hl7_message ADD COLUMN IF NOT EXISTS patient_authority VARCHAR(227) NULL AFTER patient_id;

-- 0002: PID-3.4, the assigning authority of the patient identifier (an HD, like MSH-3), for search.
-- SQLite appends the column; every statement names its columns, so the order is moot.
ALTER TABLE hl7_message ADD COLUMN patient_authority TEXT NULL;

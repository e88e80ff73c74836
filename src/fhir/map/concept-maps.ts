// The IG's vocabulary maps as data (HL7 v2-to-FHIR IG 1.0.0, `mappings/codesystems/*.csv`), with our
// decisions for the codes it leaves unmatched marked `// decided` (docs/fhir-mapping.md says why).
// Keys are v2 codes as sent; lookups are exact except where noted.

export const v2System = (table: string): string => `http://terminology.hl7.org/CodeSystem/v2-${table}`;

/** 0001 Administrative Sex → administrative-gender (required binding). */
export const sex0001: Record<string, string> = {
  F: 'female',
  M: 'male',
  O: 'other',
  U: 'unknown',
  A: 'other',
  N: 'other',
};

/** 0002 Marital Status → v3-MaritalStatus (or v3-NullFlavor for U, O, T). */
export const marital0002: Record<string, { system: string; code: string }> = {
  A: v3Marital('L'),
  D: v3Marital('D'),
  M: v3Marital('M'),
  S: v3Marital('S'),
  W: v3Marital('W'),
  C: v3Marital('C'),
  G: v3Marital('T'),
  P: v3Marital('T'),
  R: v3Marital('T'),
  E: v3Marital('L'),
  N: v3Marital('A'),
  I: v3Marital('I'),
  B: v3Marital('U'),
  U: nullFlavor('UNK'),
  O: nullFlavor('OTH'),
  T: nullFlavor('NAVU'),
};

function v3Marital(code: string): { system: string; code: string } {
  return { system: 'http://terminology.hl7.org/CodeSystem/v3-MaritalStatus', code };
}

function nullFlavor(code: string): { system: string; code: string } {
  return { system: 'http://terminology.hl7.org/CodeSystem/v3-NullFlavor', code };
}

/** 0004 Patient Class → Encounter.class (v3-ActCode where the IG maps it, else kept in v2-0004). */
export const class0004: Record<string, { system: string; code: string; display?: string }> = {
  E: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'EMER', display: 'emergency' },
  I: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'IMP', display: 'inpatient encounter' },
  O: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB', display: 'ambulatory' },
  P: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'PRENC', display: 'pre-admission' },
};

/** 0004 Patient Class → encounter-status (IG "PV1[Encounter]" when PV1-45 is empty). */
export const classStatus0004: Record<string, string> = {
  P: 'planned',
  U: 'unknown',
  E: 'in-progress',
  I: 'in-progress',
  O: 'in-progress',
  R: 'in-progress',
  B: 'in-progress',
  C: 'in-progress',
  N: 'in-progress',
};

/** 0003 Event Type → encounter-status (IG); A08 is read from PV1-2 instead (see adt.ts). */
export const eventStatus0003: Record<string, string> = {
  A01: 'in-progress',
  A02: 'in-progress',
  A03: 'finished',
  A04: 'planned',
  A05: 'planned',
  A11: 'cancelled',
  A13: 'in-progress',
};

/** 0085 Observation Result Status → observation-status (required). */
export const resultStatus0085: Record<string, string> = {
  A: 'amended',
  C: 'corrected',
  D: 'entered-in-error',
  F: 'final',
  P: 'preliminary',
  W: 'entered-in-error',
  X: 'cancelled',
  // decided (IG: unmatched)
  B: 'amended',
  I: 'registered',
  O: 'registered',
  R: 'preliminary',
  S: 'preliminary',
  U: 'final',
  V: 'final',
  N: 'unknown',
};

/** 0123 Result Status → diagnostic-report-status (required), IG ResultStatus[Non-Queries]. */
export const reportStatus0123: Record<string, string> = {
  O: 'registered',
  I: 'registered',
  S: 'registered',
  P: 'preliminary',
  C: 'corrected',
  R: 'partial',
  F: 'final',
  X: 'cancelled',
  // decided (IG: unmatched), as MS FHIR-Converter
  A: 'partial',
  M: 'partial',
  N: 'unknown',
  Y: 'unknown',
  Z: 'unknown',
};

/** 0278 Filler Status Codes → appointmentstatus (required). Matched without case. */
export const fillerStatus0278: Record<string, string> = {
  pending: 'pending',
  waitlist: 'waitlist',
  booked: 'booked',
  started: 'checked-in',
  complete: 'fulfilled',
  cancelled: 'cancelled',
  deleted: 'entered-in-error',
  noshow: 'noshow',
  // decided (IG: unmatched), as MS FHIR-Converter
  dc: 'cancelled',
  discontinued: 'cancelled',
  blocked: 'waitlist',
  overbook: 'waitlist',
};

/** SIU trigger → appointmentstatus, when SCH-25 and AIS-10 are empty (decisions.md "FHIR"). */
export const triggerStatusSiu: Record<string, string> = {
  S12: 'booked',
  S13: 'booked',
  S14: 'booked',
  S15: 'cancelled',
  S16: 'cancelled',
  S17: 'entered-in-error',
  S26: 'noshow',
};

/** 0078 Abnormal Flags → v3-ObservationInterpretation (the codes are shared; the IG maps them 1:1). */
export const interpretation0078: Record<string, string> = Object.fromEntries(
  ['L', 'H', 'LL', 'HH', '<', '>', 'N', 'A', 'AA', 'U', 'D', 'B', 'W', 'S', 'R', 'I', 'MS', 'VS', 'NEG', 'POS', 'IND', 'E', 'EX', 'HX', 'LX', 'HM', 'ND', 'NR', 'QCF', 'RR', 'TOX', 'WR', 'IE', 'CAR', 'DET', 'EXP', 'NCL', 'NS', 'SYN-R', 'SYN-S'].map((code) => [code, code]),
);

/** 0127 Allergen Type → AllergyIntolerance.category (required). MA/MC unmatched: no category. */
export const allergenCategory0127: Record<string, string> = {
  DA: 'medication',
  FA: 'food',
  EA: 'environment',
  PA: 'environment',
  LA: 'environment',
  AA: 'biologic',
};

/** 0128 Allergy Severity → AllergyIntolerance.criticality (required). MO: unmatched in the IG, no criticality. */
export const allergySeverity0128: Record<string, string> = {
  SV: 'high',
  MI: 'low',
  // decided (IG: unmatched)
  U: 'unable-to-assess',
};

/** 0136 Yes/No Indicator → boolean. */
export const yesNo0136: Record<string, boolean> = { Y: true, N: false };

/** 0200 Name Type → name-use (required). */
export const nameUse0200: Record<string, string> = {
  L: 'official',
  R: 'official',
  D: 'usual',
  M: 'maiden',
  N: 'nickname',
  BAD: 'old',
  MSK: 'anonymous',
  TEMP: 'temp',
  NAV: 'temp',
};

/** 0190 Address Type → address-use (required); M/SH go to Address.type instead. */
export const addressUse0190: Record<string, string> = { BA: 'old', BI: 'billing', C: 'temp', B: 'work', O: 'work', H: 'home', HV: 'temp', L: 'home' };
export const addressType0190: Record<string, string> = { M: 'postal', SH: 'physical' };

/**
 * 0201 Telecommunication Use → contact-point-use (required). The IG maps only these three; any other
 * code gets the field's default use (PID-13 home, PID-14 work), or none.
 */
export const telecomUse0201: Record<string, string> = { PRN: 'home', WPN: 'work', PRS: 'mobile' };

/** 0202 Telecommunication Equipment Type → contact-point-system (required). CP: phone + use mobile. */
export const telecomSystem0202: Record<string, string> = {
  PH: 'phone',
  CP: 'phone',
  FX: 'fax',
  BP: 'pager',
  Internet: 'email',
  'X.400': 'email',
  MD: 'other',
  SAT: 'other',
  TDD: 'other',
  TTY: 'other',
};

/** CWE-3 coding system names → URIs (v2 table 0396 names the IG points to; MS FHIR-Converter's list). */
export const codingSystems0396: Record<string, string> = {
  LN: 'http://loinc.org',
  LOINC: 'http://loinc.org',
  SCT: 'http://snomed.info/sct',
  SNM: 'http://snomed.info/sct',
  SNOMEDCT: 'http://snomed.info/sct',
  I10: 'http://hl7.org/fhir/sid/icd-10',
  'I10C': 'http://hl7.org/fhir/sid/icd-10-cm',
  'ICD10CM': 'http://hl7.org/fhir/sid/icd-10-cm',
  I9C: 'http://hl7.org/fhir/sid/icd-9-cm',
  I9CDX: 'http://hl7.org/fhir/sid/icd-9-cm',
  RXNORM: 'http://www.nlm.nih.gov/research/umls/rxnorm',
  NDC: 'http://hl7.org/fhir/sid/ndc',
  CVX: 'http://hl7.org/fhir/sid/cvx',
  CPT: 'http://www.ama-assn.org/go/cpt',
  C4: 'http://www.ama-assn.org/go/cpt',
  UCUM: 'http://unitsofmeasure.org',
  NPI: 'http://hl7.org/fhir/sid/us-npi',
  ISO3166_1: 'urn:iso:std:iso:3166',
};

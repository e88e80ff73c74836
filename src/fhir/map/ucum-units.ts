// OBX-6 → a UCUM code (IG "CWE[Quantity]": CWE-1 is the code when CWE-3 names UCUM). Senders often
// write the unit without naming a system; these common lab units are UCUM as written, or have one
// obvious UCUM spelling. Anything else keeps its unit text only, with no code and no system
// (FHIR qty-3: a code needs a system, and a non-UCUM code would be a guess).

const asWritten = [
  '%', 'g', 'mg', 'ug', 'ng', 'pg', 'kg', 'L', 'dL', 'mL', 'uL', 'fL', 'm', 'cm', 'mm', 'um',
  'g/L', 'g/dL', 'mg/L', 'mg/dL', 'ug/L', 'ug/dL', 'ug/mL', 'ng/L', 'ng/dL', 'ng/mL', 'pg/mL',
  'mol/L', 'mmol/L', 'umol/L', 'nmol/L', 'pmol/L', 'meq/L', 'mosm/kg', 'U/L', 'U/mL', '[IU]/L', '[IU]/mL', 'm[IU]/L',
  '10*3/uL', '10*6/uL', '10*9/L', '10*12/L', '/uL', '/L', '/min', '/h', 'mm/h', 'mm[Hg]', 'Cel', '[degF]',
  'kg/m2', 'mL/min', 'mL/min/{1.73_m2}', 's', 'min', 'h', 'd', 'wk', 'mo', 'a', 'fL', '{ratio}', '{beats}/min', '[pH]',
];

const aliases: Record<string, string> = {
  'beats/min': '/min',
  bpm: '/min',
  'breaths/min': '/min',
  '/min.': '/min',
  mmHg: 'mm[Hg]',
  'mm hg': 'mm[Hg]',
  'K/uL': '10*3/uL',
  'k/uL': '10*3/uL',
  'x10E3/uL': '10*3/uL',
  'M/uL': '10*6/uL',
  'x10E6/uL': '10*6/uL',
  'mEq/L': 'meq/L',
  'IU/L': '[IU]/L',
  'mIU/L': 'm[IU]/L',
  'IU/mL': '[IU]/mL',
  degC: 'Cel',
  C: 'Cel',
  degF: '[degF]',
  F: '[degF]',
  sec: 's',
  hr: 'h',
  hrs: 'h',
  days: 'd',
  yr: 'a',
  years: 'a',
  'kg/m^2': 'kg/m2',
  lb: '[lb_av]',
  lbs: '[lb_av]',
  in: '[in_i]',
};

const known = new Set(asWritten);

export function ucumCode(unit: string, system: string | undefined): string | undefined {
  if (system !== undefined && /^(UCUM|http:\/\/unitsofmeasure\.org)$/i.test(system)) return unit;
  if (known.has(unit)) return unit;
  return aliases[unit];
}

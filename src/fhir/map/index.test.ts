import { describe, expect, it } from 'vitest';
import { encounterId, patientId } from '../ids.ts';
import type { FhirResource, MapResult, ResourceWrite } from '../projection.ts';
import { mapMessage } from './index.ts';

// Whole messages through mapMessage: which writes each event gives, and the decisions of
// docs/fhir-mapping.md (A03/A11/A13/A40, ORU groups, SIU status). Synthetic data only.

const options = { defaultTimeZone: 'Europe/Zurich', identifierSystems: { HOSP: 'https://hospital.example.org/mrn' } };
const msg = (...segments: string[]): string => segments.join('\r');
const msh = (type: string, time = '20240715103000') => `MSH|^~\\&|EHR|HOSP|LIS|HOSP|${time}||${type}|CTRL1|P|2.5.1`;
const pid = 'PID|1||MRN001^^^HOSP^MR~99^^^OTHER^PI||DOE^JANE^Q||19800102|F|||1 Main St^^Bern^^3000^CHE^H||031 555 1234|||M';
/** PV1 with PV1-19 = V100; `admit`/`discharge` fill PV1-44/PV1-45. */
const pv1 = (admit = '', discharge = ''): string => {
  const f: string[] = ['PV1', '1', 'I', 'WARD1^101^A'];
  f[10] = 'MED';
  f[19] = 'V100^^^HOSP';
  f[44] = admit;
  f[45] = discharge;
  return Array.from(f, (v) => v ?? '').join('|');
};
const patient = patientId('MRN001', 'HOSP');
const encounter = encounterId('V100', 'HOSP');

function writes(raw: string): ResourceWrite[] {
  const result = mapMessage(raw, options);
  if (!result.ok) throw new Error(result.error);
  return result.projection.writes;
}
const upserted = (ws: ResourceWrite[], type: string): FhirResource[] => ws.flatMap((w) => (w.op === 'upsert' && w.resource.resourceType === type ? [w.resource] : []));
const patches = (ws: ResourceWrite[], type: string) => ws.flatMap((w) => (w.op === 'patch' && w.resourceType === type ? [w] : []));
const error = (result: MapResult): string => (result.ok ? 'ok' : result.error);

describe('ADT', () => {
  it('A01: the Patient whole, its Encounter in progress, next of kin, allergy and diagnosis, all referring to the Patient', () => {
    const ws = writes(msg(msh('ADT^A01^ADT_A01'), 'EVN|A01|20240715102500', pid, 'NK1|1|DOE^JOHN|SPO^Spouse^HL70063', pv1(), 'AL1|1|DA|70618^Penicillin^RXNORM|SV|Hives', 'DG1|1||J45^Asthma^I10||20240701'));
    const [p] = upserted(ws, 'Patient');
    expect(p).toMatchObject({ id: patient, gender: 'female', birthDate: '1980-01-02', name: [{ family: 'DOE', given: ['JANE', 'Q'] }] });
    expect(p?.identifier).toContainEqual(expect.objectContaining({ system: 'https://hospital.example.org/mrn', value: 'MRN001' }));
    expect(p?.maritalStatus).toEqual({ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-MaritalStatus', code: 'M' }, { system: 'http://terminology.hl7.org/CodeSystem/v2-0002', code: 'M' }] });
    const [e] = upserted(ws, 'Encounter');
    expect(e).toMatchObject({ id: encounter, status: 'in-progress', class: { code: 'IMP' }, subject: { reference: `Patient/${patient}` } });
    expect(upserted(ws, 'RelatedPerson')[0]).toMatchObject({ patient: { reference: `Patient/${patient}` }, name: [{ family: 'DOE', given: ['JOHN'] }] });
    expect(upserted(ws, 'AllergyIntolerance')[0]).toMatchObject({ category: ['medication'], criticality: 'high', clinicalStatus: { coding: [{ code: 'active' }] } });
    expect(upserted(ws, 'Condition')[0]).toMatchObject({ encounter: { reference: `Encounter/${encounter}` }, onsetDateTime: '2024-07-01' });
  });

  it.each([
    ['A04', pv1(), 'planned'],
    ['A05', pv1(), 'planned'],
    ['A08', pv1(), 'in-progress'], // IG 0003 says unknown for A08: PV1-2 (I) decides instead
    ['A01', pv1('20240715080000', '20240716120000'), 'finished'], // PV1-45 valued
  ])('%s (%#): Encounter.status', (event, visit, status) => {
    const ws = writes(msg(msh(`ADT^${event}`), pid, visit));
    expect(upserted(ws, 'Encounter')[0]?.status).toBe(status);
  });

  it('A28/A31: a person update, no Encounter', () => {
    for (const event of ['A28', 'A31']) expect(upserted(writes(msg(msh(`ADT^${event}`), pid, pv1())), 'Encounter')).toEqual([]);
  });

  it('A03: patches the Encounter keyed by PV1-19 to finished with its end, creating it if unseen', () => {
    const ws = writes(msg(msh('ADT^A03'), pid, pv1('20240715080000', '20240716120000')));
    expect(patches(ws, 'Encounter')).toEqual([
      {
        op: 'patch',
        resourceType: 'Encounter',
        id: encounter,
        set: { status: 'finished', class: expect.objectContaining({ code: 'IMP' }), subject: { reference: `Patient/${patient}` }, period: { start: '2024-07-15T08:00:00+02:00', end: '2024-07-16T12:00:00+02:00' } },
        create: true,
      },
    ]);
  });

  it('A11 cancels the admit (cancelled), A13 cancels the discharge (in-progress again): patches of an existing Encounter', () => {
    expect(patches(writes(msg(msh('ADT^A11'), pid, pv1())), 'Encounter')).toEqual([{ op: 'patch', resourceType: 'Encounter', id: encounter, set: { status: 'cancelled' }, create: false }]);
    const a13 = patches(writes(msg(msh('ADT^A13'), pid, pv1('20240715080000'))), 'Encounter');
    expect(a13).toEqual([{ op: 'patch', resourceType: 'Encounter', id: encounter, set: { status: 'in-progress', period: { start: '2024-07-15T08:00:00+02:00' } }, create: false }]);
  });

  it('A03 without a visit number is refused, naming the field', () => {
    expect(error(mapMessage(msg(msh('ADT^A03'), pid, 'PV1|1|I'), options))).toBe('ADT^A03 needs PV1-19 (visit number) to find the encounter');
  });

  it('A40: the survivor replaces the merged patient; the merged one becomes inactive, replaced-by the survivor', () => {
    const ws = writes(msg(msh('ADT^A40'), 'EVN|A40|20240715102500', pid, 'MRG|OLD7^^^HOSP^MR'));
    const merged = patientId('OLD7', 'HOSP');
    expect(upserted(ws, 'Patient')[0]).toMatchObject({ id: patient, link: [{ other: { reference: `Patient/${merged}` }, type: 'replaces' }] });
    expect(patches(ws, 'Patient')).toEqual([
      { op: 'patch', resourceType: 'Patient', id: merged, set: { active: false, link: [{ other: { reference: `Patient/${patient}` }, type: 'replaced-by' }] }, create: true },
    ]);
  });

  it('after a merge, the A03 that names the survivor finishes the Encounter the merged patient was admitted with', () => {
    const admitted = upserted(writes(msg(msh('ADT^A01'), pid.replace('MRN001^^^HOSP^MR~', 'OLD7^^^HOSP^MR~'), pv1('20240715080000'))), 'Encounter')[0];
    const [finished] = patches(writes(msg(msh('ADT^A03'), pid, pv1('20240715080000', '20240716120000'))), 'Encounter');
    expect(admitted?.subject).toEqual({ reference: `Patient/${patientId('OLD7', 'HOSP')}` });
    expect(finished?.id).toBe(admitted?.id);
    expect(finished?.set.subject).toEqual({ reference: `Patient/${patient}` });
  });

  it('A40 merging a patient into itself is refused', () => {
    expect(error(mapMessage(msg(msh('ADT^A40'), pid, 'MRG|MRN001^^^HOSP^MR'), options))).toBe('MRG-1 names the same patient as PID-3');
  });
});

describe('ORU^R01 groups', () => {
  const oru = msg(
    msh('ORU^R01^ORU_R01'),
    pid,
    'ORC|RE|PL1^EHR|FL1^LAB',
    'OBR|1|PL1^EHR|FL1^LAB|24331-1^Lipid panel^LN|||20240715080000||||||||||||||||||F',
    'NTE|1||order comment',
    'OBX|1|NM|2093-3^Cholesterol^LN||5.2|mmol/L|<5.2|H|||F',
    'NTE|1||first result comment',
    'OBX|2|NM|2571-8^Triglyceride^LN||1.1|mmol/L|<1.7|N|||F',
    'SPM|1|SP1&EHR^SF1&LAB||119297000^Blood specimen^SCT|||||||||||||20240715075500',
    'OBX|3|ST|33882-2^Collection note^LN||hemolysed||||||P',
    'NTE|1||specimen result comment',
    'OBR|2|PL2^EHR|FL2^LAB|58410-2^CBC^LN|||20240715080000||||||||||||||||||P',
    'OBX|1|NM|718-7^Hemoglobin^LN||135|g/L|120-160||||C',
  );

  it('one DiagnosticReport per OBR, each listing its own results and specimens', () => {
    const ws = writes(oru);
    const reports = upserted(ws, 'DiagnosticReport');
    expect(reports.map((r) => [r.status, (r.result as unknown[]).length])).toEqual([['final', 3], ['preliminary', 1]]);
    expect(reports[0]?.specimen).toHaveLength(1);
    expect(upserted(ws, 'Observation')).toHaveLength(4);
  });

  it('NTE goes to the segment it follows; an OBX after SPM belongs to the specimen', () => {
    const [chol, trig, note, hb] = upserted(writes(oru), 'Observation');
    expect(chol?.note).toEqual([{ text: 'first result comment' }]);
    expect(trig?.note).toBeUndefined();
    expect(note?.note).toEqual([{ text: 'specimen result comment' }]);
    const [specimen] = upserted(writes(oru), 'Specimen');
    expect(note).toMatchObject({ status: 'preliminary', valueString: 'hemolysed', specimen: { reference: `Specimen/${specimen?.id}` }, focus: [{ reference: `Specimen/${specimen?.id}` }] });
    expect(chol?.specimen).toBeUndefined();
    expect(hb).toMatchObject({ status: 'corrected', valueQuantity: { value: 135, code: 'g/L' }, effectiveDateTime: '2024-07-15T08:00:00+02:00' });
    expect(chol?.interpretation).toEqual([{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation', code: 'H' }, { system: 'http://terminology.hl7.org/CodeSystem/v2-0078', code: 'H' }] }]);
  });

  it('the ORU PID patches the Patient (ADT owns demographics) and creates it if unseen', () => {
    const [w] = patches(writes(oru), 'Patient');
    expect(w).toMatchObject({ id: patient, create: true, set: { gender: 'female' } });
  });

  it('Observation ids follow filler order + OBX set id + code: the same in a corrected resend', () => {
    const again = writes(oru.replace('|5.2|mmol/L|<5.2|H|||F', '|5.3|mmol/L|<5.2|H|||C'));
    expect(upserted(again, 'Observation').map((o) => o.id)).toEqual(upserted(writes(oru), 'Observation').map((o) => o.id));
  });
});

describe('SIU', () => {
  const sch = (status = '') => `SCH|PA1^EHR|FA1^SCHED|||||CHECKUP^Check-up^L|ROUTINE|30|min|^^30^20240801090000^20240801093000||||||||||||||${status}`;
  const siu = (event: string, ...rest: string[]) => msg(msh(`SIU^${event}^SIU_S12`), ...rest);
  const appointment = (raw: string) => upserted(writes(raw), 'Appointment')[0];

  it.each([
    ['S12', 'Booked', 'booked'],
    ['S12', 'Pending', 'pending'],
    ['S14', 'Started', 'checked-in'],
    ['S12', 'Complete', 'fulfilled'],
    ['S12', '', 'booked'],
    ['S13', '', 'booked'],
    ['S15', '', 'cancelled'],
    ['S17', '', 'entered-in-error'],
    ['S26', '', 'noshow'],
    ['S15', 'Booked', 'booked'], // SCH-25 wins over the trigger
  ])('%s with SCH-25 "%s" → %s', (event, status, expected) => {
    expect(appointment(siu(event, sch(status), pid, 'RGS|1', 'AIP|1||DR1^WHO^DOCTOR|ATND^Attending^L'))?.status).toBe(expected);
  });

  it('times from SCH-11, participants from PID and AIG/AIL/AIP', () => {
    const a = appointment(siu('S12', sch('Booked'), 'NTE|1||bring reports', pid, 'RGS|1', 'AIS|1||99213^Office visit^CPT', 'AIG|1||ECG1^ECG machine^L|EQ^Equipment^L', 'AIL|1||CLINIC^^^MAIN', 'AIP|1||DR1^WHO^DOCTOR|ATND^Attending^L'));
    expect(a).toMatchObject({ start: '2024-08-01T09:00:00+02:00', end: '2024-08-01T09:30:00+02:00', comment: 'bring reports' });
    expect(a?.participant).toEqual([
      { actor: { reference: `Patient/${patient}` }, status: 'accepted' },
      { type: [{ coding: [{ code: 'EQ', display: 'Equipment' }] }], actor: { display: 'ECG machine' }, status: 'accepted' },
      { actor: { display: 'CLINIC MAIN' }, status: 'accepted' },
      { type: [{ coding: [{ code: 'ATND', display: 'Attending' }] }], actor: { identifier: { value: 'DR1' }, display: 'DOCTOR WHO' }, status: 'accepted' },
    ]);
  });

  it('start from AIS-4 and the end from its duration when SCH-11 and TQ1 are empty', () => {
    const a = appointment(siu('S12', 'SCH|PA1^EHR|FA1^SCHED', pid, 'RGS|1', 'AIS|1||99213^Office visit^CPT|20240801140000|||45|min'));
    expect(a).toMatchObject({ start: '2024-08-01T14:00:00+02:00', end: '2024-08-01T14:45:00+02:00', minutesDuration: 45 });
  });

  it('a cancel without times changes only the status of the stored appointment', () => {
    const ws = writes(siu('S17', 'SCH|PA1^EHR|FA1^SCHED', pid));
    expect(patches(ws, 'Appointment')).toEqual([{ op: 'patch', resourceType: 'Appointment', id: expect.any(String), set: { status: 'entered-in-error' }, create: false }]);
  });

  it('a booking without times is refused (FHIR app-3), naming the fields', () => {
    expect(error(mapMessage(siu('S12', 'SCH|PA1^EHR|FA1^SCHED', pid), options))).toMatch(/^SIU\^S12: an appointment with status booked needs a start and an end/);
  });

  it('keys the Appointment by SCH-2 (filler id): a later S14 with only SCH-2 updates the same one', () => {
    const first = appointment(siu('S12', sch('Booked'), pid));
    const later = appointment(siu('S14', sch('Booked').replace('PA1^EHR', ''), pid));
    expect(later?.id).toBe(first?.id);
  });
});

describe('message level', () => {
  it('event time: EVN-2, else MSH-7, in the default zone when written without offset', () => {
    const r1 = mapMessage(msg(msh('ADT^A08'), 'EVN|A08|20240101120000', pid), options);
    const r2 = mapMessage(msg(msh('ADT^A08', '20240715103000-0400'), pid), options);
    expect(r1.ok && r1.projection.eventTime).toBe('2024-01-01T12:00:00+01:00');
    expect(r2.ok && r2.projection.eventTime).toBe('2024-07-15T10:30:00-04:00');
  });

  it.each([
    ['ADT^A02', 'ADT^A02 is not mapped to FHIR'],
    ['MDM^T02', 'MDM^T02 is not mapped to FHIR'],
    ['ORU^R30', 'ORU^R30 is not mapped to FHIR'],
  ])('%s is refused as not mapped', (type, expected) => {
    expect(error(mapMessage(msg(msh(type), pid), options))).toBe(expected);
  });

  it('errors name fields, never values', () => {
    const results = [
      mapMessage(msg(msh('ADT^A01'), 'PID|1||^^^HOSP||SECRETNAME^X'), options),
      mapMessage(msg(msh('ADT^<script>SECRET'), pid), options),
      mapMessage(msg(msh('ADT^A01', 'SECRET'), pid), options),
    ];
    for (const r of results) {
      expect(r.ok).toBe(false);
      expect(error(r)).not.toMatch(/SECRET|DOE|MRN001/);
    }
  });

  it('refuses an unknown time zone', () => {
    expect(error(mapMessage(msg(msh('ADT^A01'), pid), { ...options, defaultTimeZone: 'Nowhere/Land' }))).toBe('fhir.defaultTimeZone is not a known IANA time zone');
  });

  it('reads custom delimiters and escapes like the default ones', () => {
    const custom = msg('MSH#:*!@#EHR#HOSP#LIS#HOSP#20240715103000##ADT:A08#C1#P#2.5.1', 'PID#1##MRN001:::HOSP:MR##DOE!S!X:JANE');
    const p = upserted(writes(custom), 'Patient')[0];
    expect(p).toMatchObject({ id: patient, name: [{ family: 'DOE:X', given: ['JANE'] }] });
  });
});

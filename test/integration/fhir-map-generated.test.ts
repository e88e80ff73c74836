import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultDelimiters } from '../../src/hl7/delimiters.ts';
import { escapeText } from '../../src/hl7/escape.ts';
import { mapMessage } from '../../src/fhir/map/index.ts';
import { fhirIssues } from '../support/fhir-validate.ts';
import { resourceOf } from '../support/fhir-writes.ts';
import { fuzzOptions } from '../support/hl7-fuzz.ts';

// Generated ADT, ORU and SIU messages, with codes inside and outside the v2 tables, timestamps of
// every precision with and without offsets, every OBX-2 type with fitting and unfitting values,
// free text full of delimiters: whatever maps gives valid R4 (three validators), twice the same.

const esc = (s: string): string => escapeText(s, defaultDelimiters);
const word = fc.stringMatching(/^[A-Za-z][A-Za-z0-9 .'-]{0,15}$/);
const freeText = fc.string({ maxLength: 30 }).map((s) => s.replace(/[\r\n]/g, ' '));
const code = (known: string[]) => fc.oneof(fc.constantFrom(...known), fc.stringMatching(/^[A-Z]{1,3}$/), fc.constant(''));

const timestamp = fc
  .record({
    date: fc.date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true }),
    precision: fc.integer({ min: 4, max: 19 }),
    offset: fc.option(fc.constantFrom('+0000', '-0500', '+0215', '+1400', '-1100'), { nil: undefined }),
  })
  .map(({ date, precision, offset }) => {
    const full = date.toISOString().replace(/[-:T]/g, '').slice(0, 14) + '.' + date.toISOString().slice(20, 23);
    const lengths = [4, 6, 8, 10, 12, 14, 18];
    const cut = lengths.filter((l) => l <= precision).pop() ?? 4;
    return full.slice(0, cut) + (cut > 8 && offset !== undefined ? offset : '');
  });

const zone = fc.constantFrom('UTC', 'Europe/Zurich', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe', 'Pacific/Chatham');

const pid = fc
  .record({ mrn: fc.stringMatching(/^[A-Z0-9]{1,12}$/), auth: fc.constantFrom('', 'HOSP', 'X&1.2.840.1&ISO', 'Y&bad oid&ISO'), family: freeText, given: freeText, birth: timestamp, sex: code(['F', 'M', 'O', 'U', 'A', 'N']), marital: code(['M', 'S', 'D', 'W', 'U', 'T']), phone: word, addr: freeText })
  .map((p) => `PID|1||${p.mrn}^^^${p.auth}^MR||${esc(p.family)}^${esc(p.given)}||${p.birth}|${p.sex}|||${esc(p.addr)}^^City^^^^${'H'}||${esc(p.phone)}^PRN^PH|||${p.marital}`);

const pv1 = fc
  .record({ cls: code(['E', 'I', 'O', 'P', 'R', 'B', 'N', 'U']), visit: fc.option(fc.stringMatching(/^[A-Z0-9]{1,8}$/), { nil: undefined }), admit: timestamp, discharge: fc.option(timestamp, { nil: undefined }) })
  .map((v) => {
    const f = ['PV1', '1', v.cls];
    f[19] = v.visit ?? '';
    f[44] = v.admit;
    f[45] = v.discharge ?? '';
    return Array.from(f, (x) => x ?? '').join('|');
  });

const adt = fc
  .record({ event: fc.constantFrom('A01', 'A03', 'A04', 'A05', 'A08', 'A11', 'A13', 'A28', 'A31', 'A40'), pid, pv1, nk1Rel: code(['SPO', 'MTH', 'EMR', 'FTH']), nk1Name: freeText, al1Type: code(['DA', 'FA', 'EA', 'MA']), al1Sev: code(['SV', 'MO', 'MI', 'U']), allergen: freeText, dg1: word, mrg: fc.stringMatching(/^[A-Z0-9]{1,8}$/) })
  .map((a) =>
    [`EVN|${a.event}|`, a.pid, `NK1|1|${esc(a.nk1Name)}^X|${a.nk1Rel}`, a.pv1, `AL1|1|${a.al1Type}|^${esc(a.allergen)}|${a.al1Sev}|rash`, `DG1|1||${esc(a.dg1)}^Dx^I10`, a.event === 'A40' ? `MRG|OLD${a.mrg}^^^HOSP^MR` : ''].filter((s) => s !== '').join('\r'),
  )
  .map((body) => ({ type: `ADT^${/EVN\|(A\d\d)/.exec(body)?.[1] ?? 'A01'}`, body }));

const obxValue = fc.oneof(
  fc.tuple(fc.constant('NM'), fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }).map(String), word)),
  fc.tuple(fc.constantFrom('ST', 'TX', 'FT'), freeText.map(esc)),
  fc.tuple(fc.constantFrom('CWE', 'CE'), word.map((w) => `${esc(w)}^Text^LN`)),
  fc.tuple(fc.constantFrom('DT', 'DTM', 'TS'), fc.oneof(timestamp, word)),
  fc.tuple(fc.constant('TM'), fc.constantFrom('1230', '123045', '25', 'noon')),
  fc.tuple(fc.constant('SN'), fc.constantFrom('>^5', '^1^:^32', '^10^-^20', '<>^3', '^2^+', '<=^0.5', '=^7', 'x^y')),
  fc.tuple(fc.constant('NR'), fc.constantFrom('1^2', '^5', 'a^b')),
  fc.tuple(fc.constant('ED'), fc.constantFrom('^AP^PDF^Base64^JVBERi0x', '^TEXT^plain^A^hello', '^IM^JPEG^Base64^not base64!')),
  fc.tuple(fc.constantFrom('RP', 'XYZ', ''), freeText.map(esc)),
);

const obx = fc
  .record({ setId: fc.integer({ min: 1, max: 9 }), value: obxValue, units: fc.constantFrom('', 'mg/dL', 'beats/min^^ISO', 'furlongs', 'mmol/L^^UCUM', 'a  b^^UCUM'), status: code(['F', 'P', 'C', 'D', 'X', 'N', 'W', 'I', 'R', 'S', 'U']), flag: code(['H', 'L', 'N', 'A', 'HH']), time: timestamp, range: word })
  .map((o) => `OBX|${o.setId}|${o.value[0]}|${'8867-4^HR^LN'}||${o.value[1]}|${o.units}|${esc(o.range)}|${o.flag}|||${o.status}|||${o.time}`);

const order = fc
  .record({ filler: fc.option(fc.stringMatching(/^[A-Z0-9]{1,8}$/), { nil: undefined }), status: code(['F', 'P', 'C', 'X', 'A', 'I', 'R', 'Y']), time: timestamp, obx: fc.array(obx, { maxLength: 4 }), spm: fc.boolean(), spmObx: fc.array(obx, { maxLength: 2 }), note: freeText })
  .map((o) => {
    const obr = ['OBR', '1', '', o.filler === undefined ? '' : `${o.filler}^LAB`, '24331-1^Lipid^LN', '', '', o.time];
    obr[25] = o.status;
    return [Array.from(obr, (x) => x ?? '').join('|'), `NTE|1||${esc(o.note)}`, ...o.obx, ...(o.spm ? ['SPM|1|S1&LAB||119297000^Blood^SCT', ...o.spmObx] : [])].join('\r');
  });

const oru = fc.record({ pid, orders: fc.array(order, { minLength: 1, maxLength: 3 }) }).map((o) => ({ type: 'ORU^R01', body: [o.pid, ...o.orders].join('\r') }));

const siu = fc
  .record({ event: fc.constantFrom('S12', 'S13', 'S14', 'S15', 'S17', 'S26'), pid, status: fc.constantFrom('', 'Booked', 'Pending', 'Cancelled', 'Noshow', 'Complete', 'Started', 'Overbook', 'Weird'), start: fc.option(timestamp, { nil: undefined }), minutes: fc.option(fc.integer({ min: 1, max: 600 }), { nil: undefined }), note: freeText })
  .map((s) => {
    const sch = ['SCH', 'P1^EHR', 'F1^SCHED'];
    sch[25] = s.status;
    return {
      type: `SIU^${s.event}`,
      body: [Array.from(sch, (x) => x ?? '').join('|'), `NTE|1||${esc(s.note)}`, s.pid, 'RGS|1', `AIS|1||99213^Visit^CPT|${s.start ?? ''}|||${s.minutes ?? ''}|min`, 'AIP|1||D1^WHO^DOC|ATND^Attending^L'].join('\r'),
    };
  });

describe('FHIR mapping of generated messages', () => {
  it('gives valid R4 resources, deterministically, for ADT, ORU and SIU', () => {
    fc.assert(
      fc.property(fc.oneof(adt, oru, siu), timestamp, zone, (message, time, tz) => {
        const raw = `MSH|^~\\&|EHR|HOSP|LIS|HOSP|${time}||${message.type}|C1|P|2.5.1\r${message.body}`;
        const options = { defaultTimeZone: tz, identifierSystems: { HOSP: 'https://hospital.example.org/mrn' } };
        const result = mapMessage(raw, options);
        expect(JSON.stringify(mapMessage(raw, options))).toBe(JSON.stringify(result));
        if (!result.ok) {
          // Refusals are for missing keys only, and name fields.
          expect(result.error).toMatch(/PID-3|PV1-19|SCH-|start and an end|MRG-1|neither EVN-2 nor MSH-7/);
          return;
        }
        for (const write of result.projection.writes) {
          const resource = resourceOf(write);
          expect(resource.id).toMatch(/^[A-Za-z0-9\-.]{1,64}$/);
          expect(fhirIssues(resource), `${resource.resourceType} ${JSON.stringify(resource)}`).toEqual([]);
        }
      }),
      fuzzOptions(150),
    );
  }, 300_000);
});

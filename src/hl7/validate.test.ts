import { describe, expect, it } from 'vitest';
import type { ErrorCode, Issue } from './errors.ts';
import { parseMessage, type ParsedMessage } from './message.ts';
import { isAckMessage, validateMessage, type ValidationRules } from './validate.ts';

const rules: ValidationRules = {
  acceptedTypes: { ADT: ['A01', 'A04', 'A40'], ORU: ['R01'], SIU: ['*'] },
  requiredSegments: { ADT: ['PID'], ORU: ['PID', 'OBR'], SIU: ['SCH'], 'ADT^A40': ['PID', 'MRG'], 'ADT^A04': [] },
};

type MshFields = { msh7: string; msh9: string; msh10: string; msh11: string; msh12: string };
const defaults: MshFields = { msh7: '20260102030405', msh9: 'ADT^A01^ADT_A01', msh10: 'CTRL-1', msh11: 'P', msh12: '2.5.1' };

function message(fields: Partial<MshFields> = {}, segments = ['EVN|A01', 'PID|1||12345^^^MRN']): ParsedMessage {
  const f = { ...defaults, ...fields };
  const msh = `MSH|^~\\&|APP|FAC|RCV|RFAC|${f.msh7}||${f.msh9}|${f.msh10}|${f.msh11}|${f.msh12}`;
  const result = parseMessage(Buffer.from([msh, ...segments].join('\r') + '\r'), { defaultCharset: 'UTF-8' });
  if (!result.ok) throw new Error(result.issue.message);
  return result.message;
}

const codes = (issues: Issue[]): ErrorCode[] => issues.map((issue) => issue.code);

describe('validateMessage', () => {
  it('accepts a well-formed message', () => {
    expect(validateMessage(message(), rules)).toEqual([]);
  });

  it.each([
    ['MSH-7', { msh7: '' }, { segment: 'MSH', sequence: 1, field: 7 }, 'MSH-7 (date/time of message) is empty'],
    ['MSH-9', { msh9: '' }, { segment: 'MSH', sequence: 1, field: 9 }, 'MSH-9 (message type) is empty'],
    ['MSH-9.1', { msh9: '^A01' }, { segment: 'MSH', sequence: 1, field: 9, component: 1 }, 'MSH-9.1 (message code) is empty'],
    ['MSH-9.2', { msh9: 'ADT' }, { segment: 'MSH', sequence: 1, field: 9, component: 2 }, 'MSH-9.2 (trigger event) is empty'],
    ['MSH-9.2 after a caret', { msh9: 'ADT^' }, { segment: 'MSH', sequence: 1, field: 9, component: 2 }, 'MSH-9.2 (trigger event) is empty'],
    ['MSH-10', { msh10: '' }, { segment: 'MSH', sequence: 1, field: 10 }, 'MSH-10 (message control id) is empty'],
    ['MSH-10 blank', { msh10: '  ' }, { segment: 'MSH', sequence: 1, field: 10 }, 'MSH-10 (message control id) is empty'],
    ['MSH-11', { msh11: '' }, { segment: 'MSH', sequence: 1, field: 11 }, 'MSH-11 (processing id) is empty'],
    ['MSH-12', { msh12: '' }, { segment: 'MSH', sequence: 1, field: 12 }, 'MSH-12 (version id) is empty'],
  ])('reports %s missing', (_name, fields, location, text) => {
    expect(validateMessage(message(fields), rules)).toEqual([{ code: 'required-field-missing', location, message: text }]);
  });

  it('reports every missing field', () => {
    expect(codes(validateMessage(message({ msh7: '', msh10: '' }), rules))).toEqual(['required-field-missing', 'required-field-missing']);
  });

  it.each(['20260230256100', '20250229', 'something wrong here ', '2026-01-02'])('refuses MSH-7 %j', (msh7) => {
    expect(validateMessage(message({ msh7 }), rules)).toEqual([
      { code: 'bad-timestamp', location: { segment: 'MSH', sequence: 1, field: 7 }, message: 'MSH-7 (date/time of message) is not a valid HL7 date/time' },
    ]);
  });

  it('accepts a TS with a precision component', () => {
    expect(validateMessage(message({ msh7: '20260102030405^S' }), rules)).toEqual([]);
  });

  it.each(['2.1', '2.2', '2.3', '2.3.1', '2.4', '2.5', '2.5.1', '2.6', '2.7', '2.7.1', '2.8', '2.8.1', '2.8.2', '2.9', '2.5^FRA^2.5', '2.5^^'])(
    'accepts version %s',
    (msh12) => {
      expect(validateMessage(message({ msh12 }), rules)).toEqual([]);
    },
  );

  it.each(['2.3.z', '1.0', '3.0', '2.10', '25'])('refuses version %s', (msh12) => {
    const issues = validateMessage(message({ msh12 }), rules);
    expect(issues).toEqual([
      { code: 'unsupported-version', location: { segment: 'MSH', sequence: 1, field: 12, component: 1 }, message: `version ${msh12} (MSH-12) is not a supported HL7 v2 version` },
    ]);
  });

  it.each(['P', 'T', 'D', 'T^', 'P^A'])('accepts processing id %s', (msh11) => {
    expect(validateMessage(message({ msh11 }), rules)).toEqual([]);
  });

  it.each(['X', 'p', 'PT'])('refuses processing id %s', (msh11) => {
    expect(codes(validateMessage(message({ msh11 }), rules))).toEqual(['unsupported-processing-id']);
  });

  it('refuses a message type outside the allow-list, naming the type', () => {
    expect(validateMessage(message({ msh9: 'ORM^O01' }), rules)).toEqual([
      { code: 'unsupported-message-type', location: { segment: 'MSH', sequence: 1, field: 9, component: 1 }, message: 'message type ORM is not accepted here' },
    ]);
  });

  it('does not take inherited object keys for accepted types', () => {
    expect(codes(validateMessage(message({ msh9: 'constructor^A01' }), rules))).toEqual(['unsupported-message-type']);
  });

  it('refuses an event outside the allow-list', () => {
    expect(validateMessage(message({ msh9: 'ADT^A99' }), rules)).toEqual([
      { code: 'unsupported-event', location: { segment: 'MSH', sequence: 1, field: 9, component: 2 }, message: 'event A99 of message type ADT is not accepted here' },
    ]);
  });

  it("accepts any event with '*'", () => {
    expect(validateMessage(message({ msh9: 'SIU^S99' }, ['SCH|1']), rules)).toEqual([]);
  });

  it.each([
    ['ADT without PID', 'ADT^A01', ['EVN|A01'], [{ segment: 'PID', text: 'PID segment is missing (required for ADT)' }]],
    ['ORU without PID and OBR', 'ORU^R01', ['OBX|1'], [{ segment: 'PID', text: 'PID segment is missing (required for ORU)' }, { segment: 'OBR', text: 'OBR segment is missing (required for ORU)' }]],
    ['ADT^A40 without MRG', 'ADT^A40', ['PID|1||1'], [{ segment: 'MRG', text: 'MRG segment is missing (required for ADT^A40)' }]],
    ['ADT^A04 rule replaces the ADT one', 'ADT^A04', ['EVN|A04'], []],
    ['SIU with SCH', 'SIU^S12', ['SCH|1'], []],
  ])('checks required segments: %s', (_name, msh9, segments, missing) => {
    expect(validateMessage(message({ msh9 }, segments), rules)).toEqual(
      missing.map(({ segment, text }) => ({ code: 'required-segment-missing', location: { segment }, message: text })),
    );
  });

  it('refuses malformed segment ids', () => {
    const issues = validateMessage(message({}, ['PIDX|1||1', 'PV|1', 'pid|1', 'John Doe was here']), rules);
    expect(issues).toEqual([
      { code: 'bad-segment', location: { segment: 'PIDX' }, message: 'segment 2 has a malformed segment id' },
      { code: 'bad-segment', location: { segment: 'PV' }, message: 'segment 3 has a malformed segment id' },
      { code: 'bad-segment', location: { segment: '' }, message: 'segment 4 has a malformed segment id' },
      { code: 'bad-segment', location: { segment: '' }, message: 'segment 5 has a malformed segment id' },
      { code: 'required-segment-missing', location: { segment: 'PID' }, message: 'PID segment is missing (required for ADT)' },
    ]);
  });

  it('refuses a second MSH (two messages without a batch)', () => {
    const second = 'MSH|^~\\&|APP|FAC|RCV|RFAC|20260102030405||ADT^A01|CTRL-2|P|2.5.1';
    expect(validateMessage(message({}, ['PID|1||1', second, 'PID|1||2']), rules)).toEqual([
      { code: 'bad-segment', location: { segment: 'MSH', sequence: 2 }, message: 'MSH appears again at segment 3: one message per payload (batches need FHS/BHS)' },
    ]);
  });

  it('puts not-accepted-here issues before content issues', () => {
    const issues = validateMessage(message({ msh7: '', msh9: 'ORM^O01', msh11: 'X', msh12: '1.0' }, ['ORC|1']), rules);
    expect(codes(issues)).toEqual(['unsupported-message-type', 'unsupported-version', 'unsupported-processing-id', 'required-field-missing']);
    expect(codes(validateMessage(message({ msh9: 'ADT^A99', msh10: '' }, ['EVN|A99']), rules))).toEqual([
      'unsupported-event',
      'required-field-missing',
      'required-segment-missing',
    ]);
  });

  it('never quotes values that do not look like codes', () => {
    const issues = validateMessage(message({ msh9: 'Jane Roe^A01', msh11: 'SMITH JOHN', msh12: '2.3 EVN A01' }), rules);
    expect(codes(issues)).toEqual(['unsupported-message-type', 'unsupported-version', 'unsupported-processing-id']);
    for (const issue of issues) expect(issue.message).not.toMatch(/Jane|SMITH|EVN/);
    expect(issues[0]?.message).toBe('message type is not accepted here');
  });
});

describe('validateMessage: an inbound ACK', () => {
  const msa = ['MSA|AA|CTRL-9'];

  it.each([
    ['ACK alone (before 2.3.1)', 'ACK'],
    ['ACK^<event>', 'ACK^A01'],
    ['ACK^<event>^ACK', 'ACK^A01^ACK'],
    ['ACK with an event no type here accepts', 'ACK^Z99^ACK'],
  ])('accepts %s though hl7.acceptedTypes does not list ACK and MSH-9.2 may be empty', (_name, msh9) => {
    expect(validateMessage(message({ msh9 }, msa), rules)).toEqual([]);
  });

  it('still checks what every message needs', () => {
    expect(codes(validateMessage(message({ msh9: 'ACK', msh10: '', msh12: '1.0' }, msa), rules))).toEqual(['unsupported-version', 'required-field-missing']);
  });

  it('checks hl7.requiredSegments when it names ACK', () => {
    expect(codes(validateMessage(message({ msh9: 'ACK' }, []), { ...rules, requiredSegments: { ACK: ['MSA'] } }))).toEqual(['required-segment-missing']);
  });

  it.each([
    ['ACK', true],
    ['ACK^A01^ACK', true],
    ['ADT^A01', false],
    ['ACKX^A01', false],
  ])('isAckMessage reads MSH-9.1 of %s', (msh9, expected) => {
    expect(isAckMessage(message({ msh9 }, msa).header)).toBe(expected);
  });

  it('isAckMessage copes without a header', () => {
    expect(isAckMessage(null)).toBe(false);
    expect(isAckMessage({})).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { sendersSchema } from '../config/schema.ts';
import type { Issue } from '../hl7/errors.ts';
import { checkSender, compileSenderRules, findSenderIssue } from './identity.ts';
import type { IngestSource } from './source.ts';
import type { Verdict } from './verdict.ts';

const LAB_SUBJECT = 'CN=lab1,O=Hospital,C=CH';

const rules = compileSenderRules(
  sendersSchema.parse([
    { cidr: '10.1.0.0/16', sendingApplications: ['LAB'], sendingFacilities: ['NORTH', 'SOUTH'] },
    { certSubject: LAB_SUBJECT, sendingApplications: ['LIS^1.2.3^ISO'], sendingFacilities: ['*'] },
    { cidr: '10.2.0.5', certSubject: 'CN=adt,O=Hospital', sendingApplications: ['ADT'], sendingFacilities: ['MAIN'] },
    { cidr: '::1/128', sendingApplications: ['*'], sendingFacilities: ['LOCAL'] },
  ]),
);
if (rules === undefined) throw new Error('rules expected');

const peer = (remoteAddress: string | null, tlsClientSubject: string | null = null): IngestSource => ({
  transport: 'mllp',
  remoteAddress,
  tlsClientSubject,
});

describe('identity rules (senders)', () => {
  it.each([
    ['address in cidr, listed MSH-3 and MSH-4', peer('10.1.2.3'), 'LAB', 'NORTH', null],
    ['IPv4-mapped IPv6 address in cidr', peer('::ffff:10.1.2.3'), 'LAB', 'SOUTH', null],
    ['address in cidr, MSH-3 not listed', peer('10.1.2.3'), 'RAD', 'NORTH', 3],
    ['address in cidr, MSH-4 not listed', peer('10.1.2.3'), 'LAB', 'EAST', 4],
    ['address outside every cidr', peer('192.168.0.9'), 'LAB', 'NORTH', 3],
    ['no address (unknown peer)', peer(null), 'LAB', 'NORTH', 3],
    ['namespace entry matches the first component', peer('10.1.2.3'), 'LAB^2.16.840.1^ISO', 'NORTH^^', null],
    ['namespace entry does not match a longer namespace', peer('10.1.2.3'), 'LABX', 'NORTH', 3],
    ['matching is case-sensitive', peer('10.1.2.3'), 'lab', 'NORTH', 3],
    ['certificate subject with the whole HD field', peer('172.16.0.1', LAB_SUBJECT), 'LIS^1.2.3^ISO', 'ANY', null],
    ['whole-field entry ignores empty trailing components', peer('172.16.0.1', LAB_SUBJECT), 'LIS^1.2.3^ISO^', '', null],
    ['whole-field entry needs the universal id too', peer('172.16.0.1', LAB_SUBJECT), 'LIS', 'ANY', 3],
    ['whole-field entry: other universal id', peer('172.16.0.1', LAB_SUBJECT), 'LIS^9.9.9^ISO', 'ANY', 3],
    ['certificate subject differs', peer('172.16.0.1', 'CN=lab2,O=Hospital,C=CH'), 'LIS^1.2.3^ISO', 'ANY', 3],
    ['no certificate', peer('172.16.0.1'), 'LIS^1.2.3^ISO', 'ANY', 3],
    ['cidr and certificate both required: both match', peer('10.2.0.5', 'CN=adt,O=Hospital'), 'ADT', 'MAIN', null],
    ['cidr and certificate both required: wrong address', peer('10.2.0.6', 'CN=adt,O=Hospital'), 'ADT', 'MAIN', 3],
    ['cidr and certificate both required: no certificate', peer('10.2.0.5'), 'ADT', 'MAIN', 3],
    ['`*` allows any MSH-3', peer('::1'), 'WHATEVER^X^Y', 'LOCAL', null],
    ['`*` does not widen the other field', peer('::1'), 'WHATEVER', 'REMOTE', 4],
  ])('%s', (_name, source, msh3, msh4, refusedField) => {
    const issue = findSenderIssue({ sendingApplication: msh3, sendingFacility: msh4 }, source, rules);
    if (refusedField === null) expect(issue).toBeNull();
    else {
      expect(issue).toMatchObject({ code: 'sender-not-authorised', location: { segment: 'MSH', field: refusedField } });
      expect(issue?.message).toMatch(/^not authorised/);
      expect(issue?.message).not.toContain(refusedField === 3 ? msh3 : msh4);
    }
  });

  it('reads components with the message own component separator', () => {
    const header = { sendingApplication: 'LIS#1.2.3#ISO', sendingFacility: 'X', delimiters: { component: '#' } };
    expect(findSenderIssue(header, peer('172.16.0.1', LAB_SUBJECT), rules)).toBeNull();
  });

  it('has nothing to check without rules', () => {
    expect(compileSenderRules([])).toBeUndefined();
  });
});

describe('checkSender on a verdict', () => {
  const header = { sendingApplication: 'RAD', sendingFacility: 'NORTH', controlId: 'C1' };
  const contentIssue: Issue = { code: 'required-segment-missing', location: { segment: 'PID' }, message: 'PID missing' };
  const verdict = (issues: Issue[], h: Verdict['header'] = header): Verdict => ({ header: h, charset: 'UTF-8', patientId: null, patientAuthority: null, issues });

  it('replaces content issues with the refusal: an unauthorised sender learns nothing else', () => {
    const checked = checkSender(verdict([contentIssue]), peer('10.1.2.3'), rules);
    expect(checked.issues.map((i) => i.code)).toEqual(['sender-not-authorised']);
  });

  it('leaves an authorised message as it was', () => {
    const ok = verdict([contentIssue], { ...header, sendingApplication: 'LAB' });
    expect(checkSender(ok, peer('10.1.2.3'), rules)).toBe(ok);
  });

  it.each(['no-msh', 'bad-encoding-characters', 'message-too-large'] as const)('keeps the earlier refusal %s', (code) => {
    const refused = verdict([{ code, location: { segment: 'MSH' }, message: 'x' }]);
    expect(checkSender(refused, peer('10.1.2.3'), rules)).toBe(refused);
  });

  it('does nothing without rules or without a readable MSH', () => {
    const v = verdict([]);
    expect(checkSender(v, peer('10.1.2.3'), undefined)).toBe(v);
    const unreadable = verdict([], null);
    expect(checkSender(unreadable, peer('10.1.2.3'), rules)).toBe(unreadable);
  });
});

import { describe, expect, it } from 'vitest';
import { formatCertSubject, type CertSubject } from './cert-subject.ts';

// getPeerCertificate().subject lists attributes in the certificate's DN order, with a repeated
// attribute as an array; the string form is RFC 4514 (last DN element first).
const subject = (entries: Record<string, string | string[]>): CertSubject => Object.assign(Object.create(null), entries) as CertSubject;

describe('formatCertSubject', () => {
  it.each([
    [{ C: 'CH', O: 'Hospital', CN: 'lab1' }, 'CN=lab1,O=Hospital,C=CH'],
    [{ O: 'Hospital', CN: 'lab1' }, 'CN=lab1,O=Hospital'],
    [{ O: 'Hospital', OU: ['Lab', 'Chemistry'], CN: 'lis' }, 'CN=lis,OU=Chemistry,OU=Lab,O=Hospital'],
    [{ O: 'Smith, Jones + Partners', CN: 'a;b' }, 'CN=a\\;b,O=Smith\\, Jones \\+ Partners'],
    [{ CN: '#hash', O: ' padded ' }, 'O=\\ padded\\ ,CN=\\#hash'],
    [{ CN: 'quote"back\\slash<>' }, 'CN=quote\\"back\\\\slash\\<\\>'],
  ])('%o → %s', (entries, expected) => {
    expect(formatCertSubject(subject(entries))).toBe(expected);
  });

  it('gives null without a subject', () => {
    expect(formatCertSubject(undefined)).toBeNull();
    expect(formatCertSubject(null)).toBeNull();
    expect(formatCertSubject(subject({}))).toBeNull();
  });
});

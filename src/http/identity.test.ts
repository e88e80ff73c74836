import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createIdentify, decide, rateLimitKey, type Identity } from './identity.ts';

const sha = (key: string) => createHash('sha256').update(key).digest('hex');
const INGEST_KEY = 'ingest-key-4f1a';
const READ_KEY = 'read-key-77b0';
const LAB = 'CN=lab1,O=Hospital,C=CH';

const identify = createIdentify({
  apiKeys: [
    { name: 'ehr-cloud', sha256: sha(INGEST_KEY), roles: ['ingest'] },
    { name: 'dashboard', sha256: sha(READ_KEY), roles: ['read'] },
  ],
  clientCerts: [{ subject: LAB, roles: ['ingest', 'read'] }],
});

describe('createIdentify', () => {
  it.each<[string, string | undefined, string | null, Identity['kind'], string?]>([
    ['a known key', `Bearer ${INGEST_KEY}`, null, 'known', 'ehr-cloud'],
    ['the scheme in any case', `bearer ${READ_KEY}`, null, 'known', 'dashboard'],
    ['an unknown key', 'Bearer not-a-key', null, 'unknown-key'],
    ['a key that is the hash itself', `Bearer ${sha(INGEST_KEY)}`, null, 'unknown-key'],
    ['Basic credentials', 'Basic dXNlcjpwYXNz', null, 'not-bearer'],
    ['Bearer without a key', 'Bearer ', null, 'not-bearer'],
    ['no credentials at all', undefined, null, 'none'],
    ['a listed certificate', undefined, LAB, 'known', LAB],
    ['an unlisted certificate', undefined, 'CN=other,O=Hospital,C=CH', 'unlisted-cert'],
    ['a wrong key beside a listed certificate', 'Bearer wrong', LAB, 'unknown-key'],
    ['a known key beside a listed certificate', `Bearer ${READ_KEY}`, LAB, 'known', 'dashboard'],
  ])('%s', (_name, authorization, certSubject, kind, principalName) => {
    const identity = identify({ authorization, certSubject });
    expect(identity.kind).toBe(kind);
    if (identity.kind === 'known') expect(identity.principal.name).toBe(principalName);
  });

  const both = createIdentify({
    apiKeys: [{ name: 'ops', sha256: sha(READ_KEY), roles: ['ingest', 'read'] }],
    clientCerts: [{ subject: LAB, roles: ['ingest'] }],
  });
  it.each<[string, Parameters<typeof both>[0], Identity]>([
    ['a session of a key: its roles now, without ingest', { authorization: undefined, certSubject: null, session: { name: 'ops', via: 'key' } }, { kind: 'known', principal: { name: 'ops', roles: ['read'], via: 'session' } }],
    ['a session of a listed certificate', { authorization: undefined, certSubject: null, session: { name: LAB, via: 'cert' } }, { kind: 'known', principal: { name: LAB, roles: [], via: 'session' } }],
    ['a session of a key no longer configured', { authorization: undefined, certSubject: null, session: { name: 'gone', via: 'key' } }, { kind: 'ended-session' }],
    ['a key name presented as a certificate subject', { authorization: undefined, certSubject: null, session: { name: 'ops', via: 'cert' } }, { kind: 'ended-session' }],
    ['a refused cookie', { authorization: undefined, certSubject: null, session: 'invalid' }, { kind: 'ended-session' }],
    ['a refused cookie beside an unlisted certificate', { authorization: undefined, certSubject: 'CN=x', session: 'invalid' }, { kind: 'ended-session' }],
    ['a session beside a wrong key: the key decides', { authorization: 'Bearer wrong', certSubject: null, session: { name: 'ops', via: 'key' } }, { kind: 'unknown-key' }],
    ['a session beside a listed certificate: the certificate decides', { authorization: undefined, certSubject: LAB, session: { name: 'ops', via: 'key' } }, { kind: 'known', principal: { name: LAB, roles: ['ingest'], via: 'cert' } }],
  ])('%s', (_name, credentials, identity) => {
    expect(both(credentials)).toEqual(identity);
  });

  it('says how the principal was identified', () => {
    expect(identify({ authorization: `Bearer ${INGEST_KEY}`, certSubject: null })).toMatchObject({ principal: { via: 'key' } });
    expect(identify({ authorization: undefined, certSubject: LAB })).toMatchObject({ principal: { via: 'cert' } });
  });
});

describe('decide', () => {
  const key = (k: string) => identify({ authorization: `Bearer ${k}`, certSubject: null });
  it.each<[string, Identity, 'ingest' | 'read', number | 'ok']>([
    ['ingest key → ingest', key(INGEST_KEY), 'ingest', 'ok'],
    ['read key → read', key(READ_KEY), 'read', 'ok'],
    ['read key → ingest', key(READ_KEY), 'ingest', 403],
    ['ingest key → read', key(INGEST_KEY), 'read', 403],
    ['unknown key', key('nope'), 'ingest', 401],
    ['no key', { kind: 'none' }, 'read', 401],
    ['not Bearer', { kind: 'not-bearer' }, 'ingest', 401],
    ['unlisted certificate', { kind: 'unlisted-cert', subject: 'CN=x' }, 'ingest', 401],
  ])('%s', (_name, identity, role, expected) => {
    const decision = decide(identity, role);
    if (expected === 'ok') expect(decision.ok).toBe(true);
    else expect(decision).toMatchObject({ ok: false, status: expected });
  });

  it('names the key, never the key itself, when a role is missing', () => {
    const decision = decide(key(READ_KEY), 'ingest');
    expect(decision).toMatchObject({ ok: false, keyName: 'dashboard' });
    expect(JSON.stringify(decision)).not.toContain(READ_KEY);
  });
});

describe('rateLimitKey', () => {
  it('counts per key, per listed certificate, else per address', () => {
    expect(rateLimitKey(identify({ authorization: `Bearer ${INGEST_KEY}`, certSubject: null }), '10.0.0.1')).toBe('key:ehr-cloud');
    expect(rateLimitKey(identify({ authorization: undefined, certSubject: LAB }), '10.0.0.1')).toBe(`cert:${LAB}`);
    expect(rateLimitKey({ kind: 'unknown-key' }, '10.0.0.1')).toBe('address:10.0.0.1');
  });
});

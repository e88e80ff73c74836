import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestPki } from '../../test/support/tls.ts';
import { loadTls } from './tls.ts';

// Start-up errors for mllp.tls: each names the option and the file, and never quotes file content.

const pki = createTestPki();
const other = createTestPki();
afterAll(() => {
  pki.cleanup();
  other.cleanup();
});

const garbage = join(pki.dir, 'garbage.pem');
writeFileSync(garbage, 'not a pem file\n');
const unreadable = join(pki.dir, 'unreadable.key');
writeFileSync(unreadable, pki.server.key);
chmodSync(unreadable, 0o000);
const badSecondCa = join(pki.dir, 'bundle.crt');
writeFileSync(badSecondCa, `${pki.ca.toString()}-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n`);
const isRoot = process.getuid?.() === 0; // root reads a file whatever its mode

const good = { keyFile: pki.server.keyFile, certFile: pki.server.certFile, caFile: pki.caFile, requestClientCert: true };

describe('loadTls (mllp.tls start-up checks)', () => {
  it('loads a key, its certificate and a CA', async () => {
    const loaded = await loadTls(good);
    expect(loaded.requestCert).toBe(true);
    expect(loaded.ca).toContain('BEGIN CERTIFICATE');
  });

  it.each([
    ['missing key file', { keyFile: join(pki.dir, 'nope.key') }, /^mllp\.tls\.keyFile: .*nope\.key not found$/],
    ['missing certificate file', { certFile: join(pki.dir, 'nope.crt') }, /^mllp\.tls\.certFile: .*nope\.crt not found$/],
    ['missing CA file', { caFile: join(pki.dir, 'nope-ca.crt') }, /^mllp\.tls\.caFile: .*nope-ca\.crt not found$/],
    ['key file that is a folder', { keyFile: pki.dir }, /^mllp\.tls\.keyFile: .*hl7-pki-\w+ cannot be read \(EISDIR\)$/],
    ['key file that is not a key', { keyFile: garbage }, /^mllp\.tls\.keyFile: .*garbage\.pem is not a PEM private key/],
    ['key file holding a certificate', { keyFile: pki.server.certFile }, /^mllp\.tls\.keyFile: .*server\.crt is not a PEM private key/],
    ['certificate file that is not a certificate', { certFile: garbage }, /^mllp\.tls\.certFile: .*garbage\.pem holds no PEM certificate/],
    ['certificate file holding the key', { certFile: pki.server.keyFile }, /^mllp\.tls\.certFile: .*server\.key holds no PEM certificate/],
    ['CA bundle with a broken second certificate', { caFile: badSecondCa }, /^mllp\.tls\.caFile: .*bundle\.crt: certificate 2 cannot be read/],
    ['key of another certificate', { keyFile: other.server.keyFile }, /^mllp\.tls\.keyFile \(.*server\.key\) and mllp\.tls\.certFile \(.*server\.crt\) cannot be used together/],
    ['client certificates required without a CA', { caFile: undefined }, /^mllp\.tls\.requestClientCert is true but mllp\.tls\.caFile is not set/],
  ])('%s', async (_name, change, message) => {
    const error = await loadTls({ ...good, ...change }).then(
      () => null,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('PRIVATE KEY');
  });

  it.skipIf(isRoot)('unreadable key file', async () => {
    await expect(loadTls({ ...good, keyFile: unreadable })).rejects.toThrow(/^mllp\.tls\.keyFile: .*unreadable\.key not readable by this process \(EACCES\)$/);
  });
});

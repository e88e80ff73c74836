import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestPki } from '../../test/support/tls.ts';
import { loadHttpsTls } from '../http/tls.ts';
import { loadTlsFiles, TlsConfigError } from './tls-files.ts';

// The loader both doors share: what it accepts, and that every refusal starts with the option
// path the door passed (the full table of refusals is in src/mllp/tls.test.ts and
// test/integration/https-startup.test.ts). Content is never quoted.

const pki = createTestPki();
afterAll(() => pki.cleanup());

const chain = join(pki.dir, 'chain.crt');
writeFileSync(chain, Buffer.concat([pki.server.cert, pki.ca]));
const keyLike = join(pki.dir, 'key-like.key');
writeFileSync(keyLike, '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n');

const good = { keyFile: pki.server.keyFile, certFile: pki.server.certFile, caFile: pki.caFile, requestClientCert: true };

describe('loadTlsFiles', () => {
  it('returns the PEM text of each file', () => {
    const loaded = loadTlsFiles(good, 'x.tls');
    expect(loaded).toEqual({ key: pki.server.key.toString(), cert: pki.server.cert.toString(), ca: pki.ca.toString(), requestCert: true });
  });

  it('accepts a certificate chain, and no CA when client certificates are not asked for', () => {
    const loaded = loadTlsFiles({ ...good, certFile: chain, caFile: undefined, requestClientCert: false }, 'x.tls');
    expect(loaded.cert).toBe(readFileSync(chain, 'utf8'));
    expect(loaded).not.toHaveProperty('ca');
  });

  it.each([
    ['https.tls', { keyFile: keyLike }, /^https\.tls\.keyFile: .*key-like\.key is not a PEM private key/],
    ['mllp.tls', { certFile: pki.server.keyFile }, /^mllp\.tls\.certFile: .*server\.key holds no PEM certificate/],
    ['a.b.tls', { caFile: pki.server.keyFile }, /^a\.b\.tls\.caFile: .*server\.key holds no PEM certificate/],
  ])('names the option under %s', (prefix, change, message) => {
    let error: unknown;
    try {
      loadTlsFiles({ ...good, ...change }, prefix);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(TlsConfigError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toMatch(/PRIVATE KEY|AAAA/);
  });
});

describe('loadHttpsTls', () => {
  it('adds what node:https needs: client certificates checked by us, TLS 1.2 at least', () => {
    const loaded = loadHttpsTls({ ...good, requestClientCert: false });
    expect(loaded).toMatchObject({ requestCert: false, rejectUnauthorized: false, minVersion: 'TLSv1.2' });
  });

  it('names https.tls', () => {
    expect(() => loadHttpsTls({ ...good, caFile: undefined })).toThrow(/^https\.tls\.requestClientCert is true but https\.tls\.caFile is not set/);
  });
});

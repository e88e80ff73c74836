import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A throw-away PKI for TLS tests, made with the `openssl` CLI in a temp dir (EC P-256: fast):
 *
 *   const pki = createTestPki();
 *   https: { tls: { keyFile: pki.server.keyFile, certFile: pki.server.certFile, caFile: pki.caFile, requestClientCert: true } }
 *   const lab = pki.client('/C=CH/O=Hospital/CN=lab1');        // signed by the CA
 *   const rogue = pki.client('/C=CH/O=Hospital/CN=lab1', { selfSigned: true });  // same subject, not trusted
 *   pki.cleanup();
 *
 * The server certificate is for localhost and 127.0.0.1.
 */

export type KeyPair = { keyFile: string; certFile: string; key: Buffer; cert: Buffer };

export type TestPki = {
  dir: string;
  caFile: string;
  ca: Buffer;
  server: KeyPair;
  client(subject: string, options?: { selfSigned?: boolean }): KeyPair;
  cleanup(): void;
};

const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

export function createTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'hl7-pki-'));
  let serial = 0;
  openssl(
    ['req', '-x509', ...ecKey, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/O=Test/CN=hl7v2-listener test CA',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
    dir,
  );

  function issue(name: string, subject: string, extensions: string, selfSigned: boolean): KeyPair {
    const keyFile = join(dir, `${name}.key`);
    const certFile = join(dir, `${name}.crt`);
    const extFile = join(dir, `${name}.ext`);
    writeFileSync(extFile, extensions);
    if (selfSigned) {
      openssl(['req', '-x509', ...ecKey, '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', subject], dir);
    } else {
      openssl(['req', ...ecKey, '-keyout', keyFile, '-out', join(dir, `${name}.csr`), '-subj', subject], dir);
      openssl(['x509', '-req', '-in', join(dir, `${name}.csr`), '-CA', 'ca.crt', '-CAkey', 'ca.key', '-set_serial', String(1000 + ++serial),
        '-out', certFile, '-days', '2', '-extfile', extFile], dir);
    }
    return { keyFile, certFile, key: readFileSync(keyFile), cert: readFileSync(certFile) };
  }

  const server = issue('server', '/O=Test/CN=localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n', false);
  let clients = 0;
  return {
    dir,
    caFile: join(dir, 'ca.crt'),
    ca: readFileSync(join(dir, 'ca.crt')),
    server,
    client: (subject, options = {}) => issue(`client${++clients}`, subject, 'extendedKeyUsage=clientAuth\n', options.selfSigned === true),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

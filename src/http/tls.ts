import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createSecureContext } from 'node:tls';
import type { HttpsConfig } from '../config/schema.ts';

// The HTTPS door's TLS material, read and checked once at start-up so that a wrong file stops the
// service with a message naming the option and the file, instead of failing on the first handshake.

export type TlsFiles = Exclude<HttpsConfig['tls'], false | undefined>;

/** node:https server options. The client certificate is optional: it only stands in for a key. */
export type HttpsServerTls = {
  key: Buffer;
  cert: Buffer;
  ca?: Buffer;
  requestCert: boolean;
  rejectUnauthorized: false;
  minVersion: 'TLSv1.2';
};

export class TlsConfigError extends Error {
  override readonly name = 'TlsConfigError';
}

export function loadHttpsTls(tls: TlsFiles, prefix = 'https.tls'): HttpsServerTls {
  if (tls.requestClientCert && tls.caFile === undefined) {
    throw new TlsConfigError(`${prefix}.requestClientCert needs ${prefix}.caFile (the CA that signs client certificates)`);
  }
  const key = readOption(`${prefix}.keyFile`, tls.keyFile);
  const cert = readOption(`${prefix}.certFile`, tls.certFile);
  const ca = tls.caFile === undefined ? undefined : readOption(`${prefix}.caFile`, tls.caFile);
  check(`${prefix}.keyFile`, tls.keyFile, 'a PEM private key (unencrypted)', () => createPrivateKey(key));
  check(`${prefix}.certFile`, tls.certFile, 'a PEM certificate', () => new X509Certificate(cert));
  if (ca !== undefined && tls.caFile !== undefined) check(`${prefix}.caFile`, tls.caFile, 'PEM CA certificates', () => new X509Certificate(ca));
  try {
    createSecureContext({ key, cert, ca });
  } catch (err) {
    throw new TlsConfigError(`${prefix}.keyFile (${resolve(tls.keyFile)}) does not fit ${prefix}.certFile (${resolve(tls.certFile)}): ${reason(err)}`);
  }
  return { key, cert, ...(ca === undefined ? {} : { ca }), requestCert: tls.requestClientCert, rejectUnauthorized: false, minVersion: 'TLSv1.2' };
}

function readOption(option: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new TlsConfigError(`${option}: cannot read ${resolve(file)} (${code})`);
  }
}

function check(option: string, file: string, expected: string, parse: () => unknown): void {
  try {
    parse();
  } catch (err) {
    throw new TlsConfigError(`${option}: ${resolve(file)} does not hold ${expected}: ${reason(err)}`);
  }
}

function reason(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

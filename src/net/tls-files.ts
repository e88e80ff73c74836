import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createSecureContext } from 'node:tls';

// The TLS files of a door (`mllp.tls`, `https.tls`), read and checked once at start-up, so that a
// wrong file stops the service with a message naming the option and the file, instead of failing
// on the first handshake. No message ever quotes file content (the key file holds the key).
// Read synchronously: a few small files, once, before any listener opens.

/** The shape both doors share (src/config/schema.ts `tlsFiles`). */
export type TlsFiles = { keyFile: string; certFile: string; caFile?: string | undefined; requestClientCert: boolean };

/** PEM text, ready for tls.createServer / https.createServer. */
export type LoadedTls = {
  key: string;
  cert: string;
  ca?: string;
  /** Mutual TLS: a client certificate signed by caFile is asked for (each door decides what it means). */
  requestCert: boolean;
};

export class TlsConfigError extends Error {
  override readonly name = 'TlsConfigError';
}

type Pem = { option: string; file: string; text: string };

/** `prefix` is the option path of the files, e.g. `mllp.tls`: every message starts with it. */
export function loadTlsFiles(files: TlsFiles, prefix: string): LoadedTls {
  if (files.requestClientCert && files.caFile === undefined) {
    throw new TlsConfigError(`${prefix}.requestClientCert is true but ${prefix}.caFile is not set: name the CA that signs client certificates`);
  }
  const key = readPem(`${prefix}.keyFile`, files.keyFile);
  const cert = readPem(`${prefix}.certFile`, files.certFile);
  const ca = files.caFile === undefined ? undefined : readPem(`${prefix}.caFile`, files.caFile);
  checkKey(key);
  checkCertificates(cert);
  if (ca) checkCertificates(ca);
  try {
    createSecureContext({ key: key.text, cert: cert.text, ca: ca?.text });
  } catch (err) {
    // Both parse on their own, so what is left is a pair that does not belong together.
    throw new TlsConfigError(`${prefix}.keyFile (${key.file}) and ${prefix}.certFile (${cert.file}) cannot be used together: ${opensslReason(err)}`, {
      cause: err,
    });
  }
  return { key: key.text, cert: cert.text, ...(ca ? { ca: ca.text } : {}), requestCert: files.requestClientCert };
}

function readPem(option: string, file: string): Pem {
  const path = resolve(file);
  try {
    return { option, file: path, text: readFileSync(path, 'utf8') };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unknown error';
    const why = code === 'ENOENT' ? 'not found' : code === 'EACCES' ? 'not readable by this process (EACCES)' : `cannot be read (${code})`;
    throw new TlsConfigError(`${option}: ${path} ${why}`, { cause: err });
  }
}

function checkKey(pem: Pem): void {
  try {
    createPrivateKey(pem.text);
  } catch (err) {
    throw new TlsConfigError(`${pem.option}: ${pem.file} is not a PEM private key (or it is encrypted): ${opensslReason(err)}`);
  }
}

/** Every certificate of the file must parse: a chain (certFile) or a bundle (caFile) may hold several. */
function checkCertificates(pem: Pem): void {
  const blocks = pem.text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new TlsConfigError(`${pem.option}: ${pem.file} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  blocks.forEach((block, i) => {
    try {
      new X509Certificate(block);
    } catch (err) {
      throw new TlsConfigError(`${pem.option}: ${pem.file}: certificate ${i + 1} cannot be read: ${opensslReason(err)}`);
    }
  });
}

/** OpenSSL's reason only: these errors never carry key material, but keep them short. */
function opensslReason(err: unknown): string {
  if (!(err instanceof Error)) return 'unknown error';
  const reason = (err as Error & { reason?: unknown }).reason;
  return typeof reason === 'string' ? reason : err.message.split('\n')[0] ?? err.message;
}

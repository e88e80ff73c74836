import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createSecureContext } from 'node:tls';
import type { MllpConfig } from '../config/schema.ts';

// Reads and checks `mllp.tls` at start-up. Each problem names the option and the file, so a
// start-up failure says what to fix; no message ever quotes file content (it holds the key).

export type TlsFiles = NonNullable<MllpConfig['tls']>;

/** tls.createServer options (PEM text). */
export type LoadedTls = {
  key: string;
  cert: string;
  ca?: string;
  /** Mutual TLS: a client certificate signed by caFile is required (decisions.md). */
  requestCert: boolean;
};

type Pem = { option: string; file: string; text: string };

export async function loadTls(files: TlsFiles, prefix = 'mllp.tls'): Promise<LoadedTls> {
  if (files.requestClientCert && files.caFile === undefined) {
    throw new Error(`${prefix}.requestClientCert is true but ${prefix}.caFile is not set: name the CA that signs client certificates`);
  }
  const key = await readPem(`${prefix}.keyFile`, files.keyFile);
  const cert = await readPem(`${prefix}.certFile`, files.certFile);
  const ca = files.caFile === undefined ? undefined : await readPem(`${prefix}.caFile`, files.caFile);
  checkKey(key);
  checkCertificates(cert);
  if (ca) checkCertificates(ca);
  try {
    createSecureContext({ key: key.text, cert: cert.text, ca: ca?.text });
  } catch (err) {
    // Both parse on their own, so what is left is a pair that does not belong together.
    throw new Error(`${prefix}.keyFile (${key.file}) and ${prefix}.certFile (${cert.file}) cannot be used together: ${opensslReason(err)}`, {
      cause: err,
    });
  }
  return { key: key.text, cert: cert.text, ...(ca ? { ca: ca.text } : {}), requestCert: files.requestClientCert };
}

async function readPem(option: string, file: string): Promise<Pem> {
  const path = resolve(file);
  try {
    return { option, file: path, text: await readFile(path, 'utf8') };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unknown error';
    const why = code === 'ENOENT' ? 'not found' : code === 'EACCES' ? 'not readable by this process (EACCES)' : `cannot be read (${code})`;
    throw new Error(`${option}: ${path} ${why}`, { cause: err });
  }
}

function checkKey(pem: Pem): void {
  try {
    createPrivateKey(pem.text);
  } catch (err) {
    throw new Error(`${pem.option}: ${pem.file} is not a PEM private key (or it is encrypted): ${opensslReason(err)}`);
  }
}

/** Every certificate of the file must parse; a bundle (caFile) may hold several. */
function checkCertificates(pem: Pem): void {
  const blocks = pem.text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new Error(`${pem.option}: ${pem.file} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  blocks.forEach((block, i) => {
    try {
      new X509Certificate(block);
    } catch (err) {
      throw new Error(`${pem.option}: ${pem.file}: certificate ${i + 1} cannot be read: ${opensslReason(err)}`);
    }
  });
}

/** OpenSSL's reason only: these errors never carry key material, but keep them short. */
function opensslReason(err: unknown): string {
  if (!(err instanceof Error)) return 'unknown error';
  const reason = (err as Error & { reason?: unknown }).reason;
  return typeof reason === 'string' ? reason : err.message.split('\n')[0] ?? err.message;
}

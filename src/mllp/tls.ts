import type { MllpConfig } from '../config/schema.ts';
import { loadTlsFiles, type LoadedTls } from '../net/tls-files.ts';

// `mllp.tls`, read and checked at start-up by the loader both doors share (src/net/tls-files.ts).

export type TlsFiles = NonNullable<MllpConfig['tls']>;

/** tls.createServer options (PEM text); requestCert means required here (decisions.md, tls-gate.ts). */
export type { LoadedTls };

export async function loadTls(files: TlsFiles, prefix = 'mllp.tls'): Promise<LoadedTls> {
  return loadTlsFiles(files, prefix);
}

import type { HttpsConfig } from '../config/schema.ts';
import { loadTlsFiles, type LoadedTls } from '../net/tls-files.ts';

// `https.tls`, read and checked at start-up by the loader both doors share (src/net/tls-files.ts).

export type TlsFiles = Exclude<HttpsConfig['tls'], false | undefined>;

/** node:https server options. The client certificate is optional: it only stands in for a key. */
export type HttpsServerTls = LoadedTls & {
  rejectUnauthorized: false;
  minVersion: 'TLSv1.2';
};

export function loadHttpsTls(tls: TlsFiles, prefix = 'https.tls'): HttpsServerTls {
  return { ...loadTlsFiles(tls, prefix), rejectUnauthorized: false, minVersion: 'TLSv1.2' };
}

import type { PeerCertificate } from 'node:tls';

// The one string form of a TLS client certificate's subject. It is stored (tls_client_subject),
// and matched, as is, by identity rules (`senders[].certSubject`) and `https.clientCerts[].subject`.
//
// Format: RFC 4514 order (the most specific attribute first, i.e. the reverse of the certificate's
// DN sequence), `KEY=value` joined by `,`, RFC 4514 escaping. A certificate made with
// `openssl req -subj '/C=CH/O=Hospital/CN=lab1'` gives `CN=lab1,O=Hospital,C=CH`.

/** The subject as getPeerCertificate() returns it: repeated attributes come as arrays. */
export type CertSubject = PeerCertificate['subject'];

/** null when there is no subject (no certificate, or an empty one). */
export function formatCertSubject(subject: CertSubject | undefined | null): string | null {
  if (subject === undefined || subject === null) return null;
  const pairs: string[] = [];
  // Node builds the object in DN order; RFC 4514 writes the sequence from the last element.
  for (const [key, value] of Object.entries(subject as Record<string, string | string[] | undefined>)) {
    const values = Array.isArray(value) ? value : value === undefined ? [] : [value];
    for (const one of values) pairs.push(`${key}=${escapeValue(one)}`);
  }
  return pairs.length === 0 ? null : pairs.reverse().join(',');
}

/** RFC 4514 section 2.4: `, + " \ < > ;` anywhere, `#` or space first, space last. */
function escapeValue(value: string): string {
  return value
    .replace(/[,+"\\<>;]/g, (c) => `\\${c}`)
    .replace(/^[# ]/, (c) => `\\${c}`)
    .replace(/ $/, '\\ ');
}

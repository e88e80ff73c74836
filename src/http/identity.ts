import { createHash, timingSafeEqual } from 'node:crypto';
import type { ApiRole, HttpsConfig } from '../config/schema.ts';

// Who sent a request, from its credentials; pure, so the auth matrix is tested without sockets.
// API keys are configured as the hex SHA-256 of the key: the presented key is hashed and compared
// with every configured hash in constant time, without stopping at the first match.

export type Principal = { name: string; roles: readonly ApiRole[]; via: 'key' | 'cert' | 'anonymous' };

export const anonymous: Principal = Object.freeze({ name: 'anonymous', roles: Object.freeze([]), via: 'anonymous' });

export type Credentials = {
  /** The Authorization header as received. */
  authorization: string | undefined;
  /** Subject of a client certificate verified against https.tls.caFile (cert-subject.ts form), else null. */
  certSubject: string | null;
};

export type Identity =
  | { kind: 'known'; principal: Principal }
  | { kind: 'unknown-key' }
  | { kind: 'not-bearer' }
  | { kind: 'unlisted-cert'; subject: string }
  | { kind: 'none' };

export type Identify = (credentials: Credentials) => Identity;

export type AuthDecision =
  | { ok: true; principal: Principal }
  | { ok: false; status: 401 | 403; title: string; detail: string; keyName: string | null };

type KeyEntry = { name: string; digest: Buffer; roles: readonly ApiRole[] };

export function createIdentify(config: Pick<HttpsConfig, 'apiKeys' | 'clientCerts'>): Identify {
  const keys: KeyEntry[] = config.apiKeys.map((k) => ({ name: k.name, digest: Buffer.from(k.sha256, 'hex'), roles: k.roles }));
  const certs = new Map(config.clientCerts.map((c) => [c.subject, c.roles] as const));
  return ({ authorization, certSubject }) => {
    // An explicit key decides, even beside a certificate: a wrong key is never rescued by one.
    if (authorization !== undefined) {
      const key = readBearer(authorization);
      if (key === null) return { kind: 'not-bearer' };
      const entry = findKey(keys, key);
      return entry === null ? { kind: 'unknown-key' } : { kind: 'known', principal: { name: entry.name, roles: entry.roles, via: 'key' } };
    }
    if (certSubject === null) return { kind: 'none' };
    const roles = certs.get(certSubject);
    if (roles === undefined) return { kind: 'unlisted-cert', subject: certSubject };
    return { kind: 'known', principal: { name: certSubject, roles, via: 'cert' } };
  };
}

/** `Bearer <key>` (scheme case-insensitive, RFC 6750); null for any other form. */
function readBearer(header: string): string | null {
  const match = /^Bearer +(\S+) *$/i.exec(header);
  return match?.[1] ?? null;
}

function findKey(keys: readonly KeyEntry[], key: string): KeyEntry | null {
  const digest = createHash('sha256').update(key, 'utf8').digest();
  let found: KeyEntry | null = null;
  for (const entry of keys) {
    if (timingSafeEqual(entry.digest, digest) && found === null) found = entry;
  }
  return found;
}

/** Roles that hold others: `operate` implies `read`; `read` implies `fhir`. */
const implied: Record<ApiRole, readonly ApiRole[]> = {
  ingest: [],
  read: ['fhir'],
  operate: ['read', 'fhir'],
  fhir: [],
};

/** Whether holding `held` lets its holder use a route that needs `needed`. */
export function grants(held: ApiRole, needed: ApiRole): boolean {
  return held === needed || implied[held].includes(needed);
}

/** Whether an identity may use a route that needs `role`. */
export function decide(identity: Identity, role: ApiRole): AuthDecision {
  switch (identity.kind) {
    case 'known': {
      const { principal } = identity;
      if (principal.roles.some((held) => grants(held, role))) return { ok: true, principal };
      const who = principal.via === 'key' ? `the API key ${principal.name}` : 'this client certificate';
      return { ok: false, status: 403, title: 'Forbidden', detail: `${who} does not have the ${role} role`, keyName: principal.name };
    }
    case 'unknown-key':
      return unauthorized('the API key is not known');
    case 'not-bearer':
      return unauthorized('send the API key as Authorization: Bearer <key>');
    case 'unlisted-cert':
      return unauthorized('the client certificate is not listed in https.clientCerts: send an API key');
    case 'none':
      return unauthorized('an API key is required: Authorization: Bearer <key>');
  }
}

function unauthorized(detail: string): AuthDecision {
  return { ok: false, status: 401, title: 'Unauthorized', detail, keyName: null };
}

/** The rate limit bucket: per key (or listed certificate), else per peer address. */
export function rateLimitKey(identity: Identity, address: string): string {
  if (identity.kind === 'known') return `${identity.principal.via}:${identity.principal.name}`;
  return `address:${address}`;
}

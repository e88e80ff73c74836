import { createHash, timingSafeEqual } from 'node:crypto';
import type { ApiRole, HttpsConfig } from '../config/schema.ts';

// Who sent a request, from its credentials; pure, so the auth matrix is tested without sockets.
// API keys are configured as the hex SHA-256 of the key: the presented key is hashed and compared
// with every configured hash in constant time, without stopping at the first match.
// A console session (src/console/sessions.ts, already verified by the caller) names a key or a
// certificate subject: its roles are looked up here, in the configuration, on every request, and
// never include `ingest`.

/** `session`: the console's cookie; `name` is then the key's name or the certificate's subject. */
export type Principal = { name: string; roles: readonly ApiRole[]; via: 'key' | 'cert' | 'session' | 'anonymous' };

export const anonymous: Principal = Object.freeze({ name: 'anonymous', roles: Object.freeze([]), via: 'anonymous' });

export type Credentials = {
  /** The Authorization header as received. */
  authorization: string | undefined;
  /** Subject of a client certificate verified against https.tls.caFile (cert-subject.ts form), else null. */
  certSubject: string | null;
  /**
   * The console session cookie, verified (signature, expiry, sign-out) by the caller: whom it names,
   * `invalid` when a cookie was sent but refused, null or absent when none was sent. It counts only
   * without an Authorization header and without a listed certificate.
   */
  session?: SessionCredential;
};

export type SessionCredential = { name: string; via: 'key' | 'cert' } | 'invalid' | null;

export type Identity =
  | { kind: 'known'; principal: Principal }
  | { kind: 'unknown-key' }
  | { kind: 'not-bearer' }
  | { kind: 'unlisted-cert'; subject: string }
  | { kind: 'ended-session' }
  | { kind: 'none' };

export type Identify = (credentials: Credentials) => Identity;

export type AuthDecision =
  | { ok: true; principal: Principal }
  | { ok: false; status: 401 | 403; title: string; detail: string; keyName: string | null };

type KeyEntry = { name: string; digest: Buffer; roles: readonly ApiRole[] };

type KeyConfig = Pick<HttpsConfig, 'apiKeys' | 'clientCerts'>;

export function createIdentify(config: KeyConfig): Identify {
  const checkKey = createKeyCheck(config);
  const certs = new Map(config.clientCerts.map((c) => [c.subject, c.roles] as const));
  const keyRoles = new Map(config.apiKeys.map((k) => [k.name, k.roles] as const));
  return ({ authorization, certSubject, session = null }) => {
    // An explicit key decides, even beside a certificate: a wrong key is never rescued by one.
    if (authorization !== undefined) {
      const key = readBearer(authorization);
      return key === null ? { kind: 'not-bearer' } : checkKey(key);
    }
    const certRoles = certSubject === null ? undefined : certs.get(certSubject);
    if (certSubject !== null && certRoles !== undefined) return { kind: 'known', principal: { name: certSubject, roles: certRoles, via: 'cert' } };
    if (session === 'invalid') return { kind: 'ended-session' };
    if (session !== null) {
      // Looked up now: a key or certificate removed from the configuration ends its sessions.
      const roles = (session.via === 'key' ? keyRoles : certs).get(session.name);
      if (roles === undefined) return { kind: 'ended-session' };
      return { kind: 'known', principal: { name: session.name, roles: consoleRolesOf(roles), via: 'session' } };
    }
    return certSubject === null ? { kind: 'none' } : { kind: 'unlisted-cert', subject: certSubject };
  };
}

/** A presented API key (console sign-in, or the Bearer header): known with its roles, or unknown. */
export function createKeyCheck(config: Pick<HttpsConfig, 'apiKeys'>): (key: string) => Identity {
  const keys: KeyEntry[] = config.apiKeys.map((k) => ({ name: k.name, digest: Buffer.from(k.sha256, 'hex'), roles: k.roles }));
  return (key) => {
    const entry = findKey(keys, key);
    return entry === null ? { kind: 'unknown-key' } : { kind: 'known', principal: { name: entry.name, roles: entry.roles, via: 'key' } };
  };
}

/** What a console session may do: the roles of its key or certificate, never `ingest` (a browser sends no HL7). */
export function consoleRolesOf(roles: readonly ApiRole[]): Exclude<ApiRole, 'ingest'>[] {
  return roles.filter((role): role is Exclude<ApiRole, 'ingest'> => role !== 'ingest');
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
      const who = describePrincipal(principal);
      return { ok: false, status: 403, title: 'Forbidden', detail: `${who} does not have the ${role} role`, keyName: principal.name };
    }
    case 'unknown-key':
      return unauthorized('the API key is not known');
    case 'not-bearer':
      return unauthorized('send the API key as Authorization: Bearer <key>');
    case 'unlisted-cert':
      return unauthorized('the client certificate is not listed in https.clientCerts: send an API key');
    case 'ended-session':
      return unauthorized('the console session has ended or is not valid: sign in again');
    case 'none':
      return unauthorized('an API key is required: Authorization: Bearer <key>');
  }
}

function describePrincipal(principal: Principal): string {
  switch (principal.via) {
    case 'key':
      return `the API key ${principal.name}`;
    case 'session':
      return `the console session of ${principal.name}`;
    default:
      return 'this client certificate';
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

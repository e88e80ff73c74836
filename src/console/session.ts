import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

// The console's stateless session, as pure functions: the cookie value is
//   base64url(JSON {sid, name, via, iat, seen}) '.' base64url(HMAC-SHA-256(sessionKey, that first part))
// and its expiry is decided here, on the server, never by the browser (the cookie has no Max-Age).
// Roles are not in it: the caller looks the name up in the configuration on every request, so a
// key removed from https.apiKeys ends its sessions. Times are epoch milliseconds.

export const sessionClaimsSchema = z
  .object({
    /** Random, per sign-in: what sign-out revokes and what the CSRF token is tied to. */
    sid: z.string().min(16).max(64),
    /** The API key's name, or the client certificate's subject. */
    name: z.string().min(1),
    via: z.enum(['key', 'cert']),
    /** Signed in at. */
    iat: z.number().int().nonnegative(),
    /** Last seen (renewed at most once a minute). */
    seen: z.number().int().nonnegative(),
  })
  .strict();

export type SessionClaims = z.infer<typeof sessionClaimsSchema>;

export type SessionLimits = { idleMs: number; maxMs: number };

export type SessionCheck =
  | { ok: true; claims: SessionClaims }
  | { ok: false; reason: 'malformed' | 'signature' | 'idle' | 'expired' | 'revoked' };

/** `seen` is written back into the cookie at most this often, not on every request. */
export const renewAfterMs = 60_000;

export function encodeSession(claims: SessionClaims, key: Buffer): string {
  const body = Buffer.from(JSON.stringify(claims), 'utf8').toString('base64url');
  return `${body}.${mac(key, body)}`;
}

/** Checks the signature first (nothing unsigned is parsed), then the shape, revocation and both expiries. */
export function verifySession(value: string, key: Buffer, now: number, limits: SessionLimits, isRevoked: (sid: string) => boolean): SessionCheck {
  const dot = value.indexOf('.');
  if (dot <= 0 || dot !== value.lastIndexOf('.')) return { ok: false, reason: 'malformed' };
  const body = value.slice(0, dot);
  if (!equalText(value.slice(dot + 1), mac(key, body))) return { ok: false, reason: 'signature' };
  const claims = sessionClaimsSchema.safeParse(parseJson(Buffer.from(body, 'base64url').toString('utf8')));
  if (!claims.success) return { ok: false, reason: 'malformed' };
  const expiry = expiriesOf(claims.data, limits);
  if (now >= expiry.expiresAt) return { ok: false, reason: 'expired' };
  if (now >= expiry.idleExpiresAt) return { ok: false, reason: 'idle' };
  if (isRevoked(claims.data.sid)) return { ok: false, reason: 'revoked' };
  return { ok: true, claims: claims.data };
}

/** When the session ends unless used (never after the absolute end), and when it ends anyway. */
export function expiriesOf(claims: SessionClaims, limits: SessionLimits): { idleExpiresAt: number; expiresAt: number } {
  const expiresAt = claims.iat + limits.maxMs;
  return { idleExpiresAt: Math.min(claims.seen + limits.idleMs, expiresAt), expiresAt };
}

/** Whether this request should write `seen` back (a new cookie). */
export function isRenewalDue(claims: SessionClaims, now: number): boolean {
  return now - claims.seen >= renewAfterMs;
}

/**
 * HMAC(sessionKey, 'csrf:' + sid). The prefix keeps it apart from the cookie's own MAC, whose input
 * is base64url and so never holds a ':'. Not derivable from the cookie by a page that cannot read it.
 */
export function csrfTokenOf(sid: string, key: Buffer): string {
  return mac(key, `csrf:${sid}`);
}

/** Constant-time comparison of the presented token with the session's. */
export function isCsrfTokenRight(presented: string | undefined, sid: string, key: Buffer): boolean {
  return presented !== undefined && equalText(presented, csrfTokenOf(sid, key));
}

function mac(key: Buffer, text: string): string {
  return createHmac('sha256', key).update(text, 'utf8').digest('base64url');
}

function equalText(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

import { fastifyCookie } from '@fastify/cookie';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { ConsoleConfig } from '../config/schema.ts';
import {
  csrfTokenOf,
  encodeSession,
  expiriesOf,
  isCsrfTokenRight,
  isRenewalDue,
  verifySession,
  type SessionCheck,
  type SessionClaims,
  type SessionLimits,
} from './session.ts';

// The console's sessions at run time: the key, the clock, the cookie strings and the sign-out list.
// Cookies are parsed and written with @fastify/cookie's parse/serialize (RFC 6265 quoting and
// attributes) without registering the plugin: the session is read where the request's identity is
// decided (the rate limiter's key and the auth hook), whatever order their onRequest hooks run in.
// (Importing the package declares `request.cookies`; it stays undefined here: read the session instead.)

export const sessionCookieName = '__Host-hl7-console';

/** `__Host-`: Secure, Path=/ and no Domain (the browser refuses it otherwise); no Max-Age: it ends with the browser. */
const cookieAttributes = { httpOnly: true, secure: true, sameSite: 'strict', path: '/' } as const;

export type ConsoleSessions = {
  /** The session the Cookie header carries; null when it carries none. */
  read(cookieHeader: string | undefined): SessionCheck | null;
  /** A new session, with the Set-Cookie value that starts it. */
  start(who: Pick<SessionClaims, 'name' | 'via'>): { claims: SessionClaims; setCookie: string };
  /** The session with `seen` moved to now and its Set-Cookie value, when the last move is over a minute old; else null. */
  renewal(claims: SessionClaims): { claims: SessionClaims; setCookie: string } | null;
  /** Sign-out: this instance refuses the sid until the session's absolute end. */
  end(claims: SessionClaims): void;
  /** The Set-Cookie value that removes the cookie from the browser. */
  readonly clearCookie: string;
  csrfToken(claims: SessionClaims): string;
  isCsrfTokenRight(claims: SessionClaims, presented: string | undefined): boolean;
  expiries(claims: SessionClaims): { idleExpiresAt: Date; expiresAt: Date };
};

export type SessionDeps = { config: ConsoleConfig; clock: () => Date; log: Logger };

export function createConsoleSessions({ config, clock, log }: SessionDeps): ConsoleSessions {
  const key = config.sessionKey === undefined ? randomBytes(32) : Buffer.from(config.sessionKey, 'utf8');
  if (config.sessionKey === undefined) {
    log.info('console.sessionKey is not set: console sessions are signed with a key of this process, so they end at a restart and other instances refuse them');
  }
  const limits: SessionLimits = { idleMs: config.idleMinutes * 60_000, maxMs: config.maxHours * 3_600_000 };
  const now = () => clock().getTime();
  // sid → the session's absolute end, after which the cookie is refused anyway.
  const revoked = new Map<string, number>();
  const setCookieFor = (claims: SessionClaims) => fastifyCookie.serialize(sessionCookieName, encodeSession(claims, key), cookieAttributes);

  return {
    read(cookieHeader) {
      if (cookieHeader === undefined) return null;
      const value = fastifyCookie.parse(cookieHeader)[sessionCookieName];
      return value === undefined ? null : verifySession(value, key, now(), limits, (sid) => revoked.has(sid));
    },
    start(who) {
      const at = now();
      const claims: SessionClaims = { sid: randomBytes(18).toString('base64url'), name: who.name, via: who.via, iat: at, seen: at };
      return { claims, setCookie: setCookieFor(claims) };
    },
    renewal(claims) {
      const at = now();
      if (!isRenewalDue(claims, at)) return null;
      const renewed = { ...claims, seen: at };
      return { claims: renewed, setCookie: setCookieFor(renewed) };
    },
    end(claims) {
      const at = now();
      for (const [sid, endsAt] of revoked) if (endsAt <= at) revoked.delete(sid);
      revoked.set(claims.sid, expiriesOf(claims, limits).expiresAt);
    },
    clearCookie: fastifyCookie.serialize(sessionCookieName, '', { ...cookieAttributes, maxAge: 0 }),
    csrfToken: (claims) => csrfTokenOf(claims.sid, key),
    isCsrfTokenRight: (claims, presented) => isCsrfTokenRight(presented, claims.sid, key),
    expiries(claims) {
      const { idleExpiresAt, expiresAt } = expiriesOf(claims, limits);
      return { idleExpiresAt: new Date(idleExpiresAt), expiresAt: new Date(expiresAt) };
    },
  };
}

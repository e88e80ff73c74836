import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { csrfTokenOf, encodeSession, expiriesOf, isCsrfTokenRight, isRenewalDue, verifySession, type SessionClaims } from './session.ts';

const key = Buffer.from('k'.repeat(32));
const otherKey = Buffer.from('o'.repeat(32));
const limits = { idleMs: 15 * 60_000, maxMs: 8 * 3_600_000 };
const t0 = Date.UTC(2026, 11, 2, 8, 0, 0);
const claims: SessionClaims = { sid: 'c2lkLW9mLXRoZS1zZXNzaW9u', name: 'ops-read', via: 'key', iat: t0, seen: t0 };
const none = () => false;

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
/** A cookie whose body is `body` and whose MAC is right for it (to reach the checks after the signature). */
const signed = (body: string) => `${body}.${createHmac('sha256', key).update(body).digest('base64url')}`;

describe('verifySession', () => {
  const cookie = encodeSession(claims, key);

  it('accepts what it signed, and gives the claims back', () => {
    expect(verifySession(cookie, key, t0 + 1_000, limits, none)).toEqual({ ok: true, claims });
  });

  it.each([
    ['another key', () => verifySession(cookie, otherKey, t0, limits, none), 'signature'],
    ['a changed name (body edited, old MAC)', () => verifySession(`${b64({ ...claims, name: 'ops-operate' })}.${cookie.split('.')[1]}`, key, t0, limits, none), 'signature'],
    ['a changed MAC', () => verifySession(`${cookie.slice(0, -2)}AA`, key, t0, limits, none), 'signature'],
    ['no dot', () => verifySession(cookie.replace('.', ''), key, t0, limits, none), 'malformed'],
    ['two dots', () => verifySession(`${cookie}.x`, key, t0, limits, none), 'malformed'],
    ['empty', () => verifySession('', key, t0, limits, none), 'malformed'],
    ['signed but not JSON', () => verifySession(signed(Buffer.from('{nope').toString('base64url')), key, t0, limits, none), 'malformed'],
    ['signed but with roles added', () => verifySession(signed(b64({ ...claims, roles: ['operate'] })), key, t0, limits, none), 'malformed'],
    ['idle for idleMinutes', () => verifySession(cookie, key, t0 + limits.idleMs, limits, none), 'idle'],
    ['past maxHours though used', () => verifySession(encodeSession({ ...claims, seen: t0 + limits.maxMs - 1 }, key), key, t0 + limits.maxMs, limits, none), 'expired'],
    ['revoked by sign-out', () => verifySession(cookie, key, t0, limits, (sid) => sid === claims.sid), 'revoked'],
  ])('refuses %s', (_name, run, reason) => {
    expect(run()).toEqual({ ok: false, reason });
  });

  it('keeps a session used within idleMinutes until maxHours', () => {
    const used = encodeSession({ ...claims, seen: t0 + 7 * 3_600_000 }, key);
    expect(verifySession(used, key, t0 + 7 * 3_600_000 + 60_000, limits, none).ok).toBe(true);
  });
});

describe('expiriesOf and isRenewalDue', () => {
  it('ends idle at seen + idleMinutes, never after the absolute end', () => {
    expect(expiriesOf(claims, limits)).toEqual({ idleExpiresAt: t0 + limits.idleMs, expiresAt: t0 + limits.maxMs });
    const late = { ...claims, seen: t0 + limits.maxMs - 1_000 };
    expect(expiriesOf(late, limits).idleExpiresAt).toBe(t0 + limits.maxMs);
  });

  it.each([
    [0, false],
    [59_999, false],
    [60_000, true],
  ])('renews seen after %i ms: %s', (elapsed, due) => {
    expect(isRenewalDue(claims, t0 + elapsed)).toBe(due);
  });
});

describe('CSRF token', () => {
  it('is tied to the session and the key', () => {
    const token = csrfTokenOf(claims.sid, key);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(isCsrfTokenRight(token, claims.sid, key)).toBe(true);
    expect(isCsrfTokenRight(token, 'c2lkLW9mLWFub3RoZXItc2Vzc2lvbg', key)).toBe(false);
    expect(isCsrfTokenRight(token, claims.sid, otherKey)).toBe(false);
    expect(isCsrfTokenRight(undefined, claims.sid, key)).toBe(false);
    expect(isCsrfTokenRight('', claims.sid, key)).toBe(false);
  });

  it('differs from the cookie MAC of any session', () => {
    expect(encodeSession(claims, key)).not.toContain(csrfTokenOf(claims.sid, key));
  });
});

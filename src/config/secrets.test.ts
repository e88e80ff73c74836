import { describe, expect, it } from 'vitest';
import { decryptSecret, encryptSecret, isSecret } from './secrets.ts';

const KEY = 'test-key-4f1c2b';
const PLAIN = 's3cr3t-pässwörd';

// The wire layout, written out here on purpose: a test that reads it from the code could not catch a change.
const LAYOUT = { version: 0, salt: 1, iv: 17, tag: 29, ciphertext: 45 } as const;

function flipByte(secret: string, at: number): string {
  const blob = Buffer.from(secret.slice(2, -1), 'base64url');
  blob[at] = (blob[at] ?? 0) ^ 0x01;
  return `![${blob.toString('base64url')}]`;
}

describe('encryptSecret / decryptSecret', () => {
  it.each(['', 'x', PLAIN, 'line\nbreak ]', 'a'.repeat(5000)])('round-trips %#', (plain) => {
    const secret = encryptSecret(plain, KEY);
    expect(isSecret(secret)).toBe(true);
    expect(decryptSecret(secret, KEY)).toEqual({ ok: true, value: plain });
  });

  it('writes the value in the ![base64url] form and never in clear', () => {
    const secret = encryptSecret(PLAIN, KEY);
    expect(secret).toMatch(/^!\[[A-Za-z0-9_-]+\]$/);
    expect(secret).not.toContain(PLAIN);
  });

  it('produces a different ciphertext each time for the same input', () => {
    expect(encryptSecret(PLAIN, KEY)).not.toBe(encryptSecret(PLAIN, KEY));
  });

  it('refuses the wrong key', () => {
    const result = decryptSecret(encryptSecret(PLAIN, KEY), 'another-key');
    expect(result).toEqual({ ok: false, reason: 'wrong-key-or-tampered' });
  });

  it.each(Object.entries(LAYOUT).filter(([part]) => part !== 'version'))('refuses a tampered %s', (_part, at) => {
    const result = decryptSecret(flipByte(encryptSecret(PLAIN, KEY), at), KEY);
    expect(result).toEqual({ ok: false, reason: 'wrong-key-or-tampered' });
  });

  it('refuses a changed version byte as malformed', () => {
    const result = decryptSecret(flipByte(encryptSecret(PLAIN, KEY), LAYOUT.version), KEY);
    expect(result).toEqual({ ok: false, reason: 'malformed' });
  });

  it.each([
    ['plain text', 'hunter2'],
    ['empty brackets', '![]'],
    ['not base64url', '![abc+/=]'],
    ['too short', `![${Buffer.alloc(44, 1).toString('base64url')}]`],
    ['truncated', encryptSecret(PLAIN, KEY).slice(0, 30) + ']'],
  ])('reports %s as malformed', (_name, value) => {
    expect(decryptSecret(value, KEY)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('refuses an empty key both ways', () => {
    expect(() => encryptSecret(PLAIN, '')).toThrow(RangeError);
    expect(decryptSecret(encryptSecret(PLAIN, KEY), '')).toEqual({ ok: false, reason: 'empty-key' });
  });

  it('decrypts one value in well under a second', () => {
    const secret = encryptSecret(PLAIN, KEY);
    const started = performance.now();
    decryptSecret(secret, KEY);
    // The target is < 100 ms; the bound is loose so a busy CI box does not make this flaky.
    expect(performance.now() - started).toBeLessThan(500);
  });
});

describe('isSecret', () => {
  it.each([
    ['![abc]', true],
    ['![multi\nline]', true],
    ['![]', true],
    ['!abc', false],
    ['[abc]', false],
    [' ![abc]', false],
    [42, false],
    [undefined, false],
  ])('%j → %s', (value, expected) => {
    expect(isSecret(value)).toBe(expected);
  });
});

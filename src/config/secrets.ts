import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';

// Encrypted config values: `![<base64url of version|salt|iv|tag|ciphertext>]`.
// The version byte pins every parameter below; changing any of them means a new version.

const VERSION = 1;
const SALT_BYTES = 16;
const IV_BYTES = 12; // the GCM nonce size NIST SP 800-38D recommends
const TAG_BYTES = 16;
const SALT_AT = 1;
const IV_AT = SALT_AT + SALT_BYTES;
const TAG_AT = IV_AT + IV_BYTES;
const DATA_AT = TAG_AT + TAG_BYTES;

// N=2^14 keeps one derivation near 60 ms on a small CI box (2^15 measured 115-155 ms there);
// every encrypted value costs one derivation at start-up. HL7_KEY is meant to be a random key,
// not a memorable password, so the work factor is a second line of defence only.
const SCRYPT = { N: 2 ** 14, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } as const;

export type DecryptResult =
  | { ok: true; value: string }
  | { ok: false; reason: 'wrong-key-or-tampered' | 'malformed' | 'empty-key' };

export function isSecret(value: unknown): value is string {
  return typeof value === 'string' && /^!\[.*\]$/s.test(value);
}

function deriveKey(key: string, salt: Buffer): Buffer {
  return scryptSync(key, salt, 32, SCRYPT);
}

/** Throws on an empty key: callers check HL7_KEY first and say so in their own words. */
export function encryptSecret(plain: string, key: string): string {
  if (key === '') throw new RangeError('the encryption key is empty');
  const version = Buffer.from([VERSION]);
  const salt = randomBytes(SALT_BYTES);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', deriveKey(key, salt), iv, { authTagLength: TAG_BYTES });
  // The version byte is authenticated too, so it cannot be swapped for another format's.
  cipher.setAAD(version);
  const ciphertext = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  const blob = Buffer.concat([version, salt, iv, cipher.getAuthTag(), ciphertext]);
  return `![${blob.toString('base64url')}]`;
}

type SecretParts = { version: Buffer; salt: Buffer; iv: Buffer; tag: Buffer; ciphertext: Buffer };

function splitBlob(value: string): SecretParts | undefined {
  const inner = /^!\[([A-Za-z0-9_-]+)\]$/.exec(value)?.[1];
  if (inner === undefined) return undefined;
  const blob = Buffer.from(inner, 'base64url');
  if (blob.length < DATA_AT || blob[0] !== VERSION) return undefined;
  return {
    version: blob.subarray(0, SALT_AT),
    salt: blob.subarray(SALT_AT, IV_AT),
    iv: blob.subarray(IV_AT, TAG_AT),
    tag: blob.subarray(TAG_AT, DATA_AT),
    ciphertext: blob.subarray(DATA_AT),
  };
}

/** Never throws for bad input; the result carries no part of the value. */
export function decryptSecret(value: string, key: string): DecryptResult {
  if (key === '') return { ok: false, reason: 'empty-key' };
  const parts = splitBlob(value);
  if (parts === undefined) return { ok: false, reason: 'malformed' };
  try {
    const decipher = createDecipheriv('aes-256-gcm', deriveKey(key, parts.salt), parts.iv, {
      authTagLength: TAG_BYTES,
    });
    decipher.setAAD(parts.version);
    decipher.setAuthTag(parts.tag);
    const plain = Buffer.concat([decipher.update(parts.ciphertext), decipher.final()]);
    return { ok: true, value: plain.toString('utf8') };
  } catch {
    // GCM cannot tell a wrong key from a changed salt, IV, tag or ciphertext: all fail the tag check.
    return { ok: false, reason: 'wrong-key-or-tampered' };
  }
}

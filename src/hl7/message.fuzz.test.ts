import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hl7Schema } from '../config/schema.ts';
import {
  damagedMessage,
  fuzzOptions,
  isAcceptedType,
  isKnownVersion,
  isLegalDelimiter,
  isLegalEncoding,
  validMessage,
} from '../../test/support/hl7-fuzz.ts';
import { isBatch, readBatch } from './batch.ts';
import { parseMessage } from './message.ts';
import { validateMessage } from './validate.ts';

// Property-based tests of the parser and validator: arbitrary bytes never throw, and a message
// whose MSH is broken is never accepted (checked against oracles written from the standard).

const rules = hl7Schema.parse({});

/** What ingest would conclude before storing: accepted means no issue at all. */
function judge(bytes: Buffer): { accepted: boolean } {
  const parsed = parseMessage(bytes, { defaultCharset: 'UTF-8' });
  return { accepted: parsed.ok && validateMessage(parsed.message, rules).length === 0 };
}

/** MSH-1, MSH-2, MSH-9, MSH-10 and MSH-12 well formed, read as latin1 from the first line. */
function hasSaneMsh(bytes: Buffer): boolean {
  const line = bytes.toString('latin1').split(/\r|\n/)[0] ?? '';
  const field = line.charAt(3);
  if (!line.startsWith('MSH') || !isLegalDelimiter(field)) return false;
  const f = line.split(field);
  return isLegalEncoding(f[1] ?? '', field) && isAcceptedType(f[8] ?? '') && (f[9] ?? '').trim() !== '' && isKnownVersion(f[11] ?? '');
}

describe('parseMessage and validateMessage (fuzz)', () => {
  it('never throw on arbitrary bytes, nor on arbitrary text after MSH|', () => {
    const anyBytes = fc.oneof(
      fc.uint8Array({ maxLength: 600 }).map((b) => Buffer.from(b)),
      fc.string({ unit: 'binary', maxLength: 120 }).map((s) => Buffer.from(`MSH|${s}`, 'utf8')),
      fc.string({ unit: fc.constantFrom('|', '^', '~', '\\', '&', '\r', '\n', 'A', '1', 'M', 'S', 'H', 'P', 'I', 'D'), maxLength: 300 }).map((s) => Buffer.from(`MSH${s}`)),
    );
    fc.assert(
      fc.property(anyBytes, (bytes) => {
        judge(bytes);
        if (isBatch(bytes)) readBatch(bytes);
      }),
      fuzzOptions(300),
    );
  });

  it('accepts the valid messages the damage is applied to (positive control)', () => {
    fc.assert(
      fc.property(validMessage, (text) => {
        expect(judge(Buffer.from(text)).accepted).toBe(true);
      }),
      fuzzOptions(200),
    );
  });

  it('never accepts a message whose MSH-1, MSH-2, MSH-9, MSH-10 or MSH-12 is broken', () => {
    fc.assert(
      fc.property(damagedMessage, ({ text }) => {
        expect(judge(Buffer.from(text, 'latin1')).accepted).toBe(false);
      }),
      fuzzOptions(500),
    );
  });

  it('accepts a randomly mutated message only when its MSH is still well formed', () => {
    const mutated = fc
      .tuple(validMessage, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }))
      .map(([text, edits]) => {
        const bytes = Buffer.from(text, 'latin1');
        // Most edits land in MSH, where they matter most.
        for (const [at, value] of edits) bytes[at % Math.min(bytes.length, 120)] = value;
        return bytes;
      });
    fc.assert(
      fc.property(mutated, (bytes) => {
        if (judge(bytes).accepted) expect(hasSaneMsh(bytes)).toBe(true);
      }),
      fuzzOptions(500),
    );
  });
});

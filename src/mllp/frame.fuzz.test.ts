import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { countFrames, fuzzOptions, mllpNoise, splitAt } from '../../test/support/hl7-fuzz.ts';
import { createFrameReader, encodeFrame, type FrameEvent } from './frame.ts';

// Property-based tests of the framer: whatever bytes arrive, in whatever chunks, it never throws,
// and how a stream is cut into reads never changes the frames it yields.

const cuts = fc.array(fc.nat(), { maxLength: 12 });

/** Frames as text, junk as a byte total (junk events are per read, so only their sum is stable). */
function run(chunks: Buffer[], maxMessageBytes = 1024 * 1024) {
  const reader = createFrameReader({ maxMessageBytes });
  const events: FrameEvent[] = chunks.flatMap((chunk) => reader.push(chunk));
  return {
    frames: events.flatMap((e) => (e.kind === 'frame' ? [e.payload.toString('latin1')] : [])),
    junk: events.reduce((sum, e) => sum + (e.kind === 'junk' || e.kind === 'abandoned' ? e.bytes : 0), 0),
    oversize: events.filter((e) => e.kind === 'oversize').length,
  };
}

/** A frame payload: any bytes but a start block and the end sequence 0x1C 0x0D (MLLP content has neither). */
const payload = fc
  .uint8Array({ maxLength: 200 })
  .map((bytes) => Buffer.from(bytes.filter((b) => b !== 0x0b)))
  .filter((b) => !b.includes(Buffer.from([0x1c, 0x0d])));
/** Bytes between frames: anything but a start block. */
const between = fc.uint8Array({ maxLength: 20 }).map((bytes) => Buffer.from(bytes.filter((b) => b !== 0x0b)));

describe('frame reader (fuzz)', () => {
  it('never throws on random byte streams cut at random points, and accounts for every byte', () => {
    fc.assert(
      fc.property(mllpNoise, cuts, (bytes, points) => {
        const result = run(splitAt(bytes, points));
        expect(result.frames).toHaveLength(countFrames(bytes));
        const framed = result.frames.reduce((sum, f) => sum + f.length + 3, 0);
        expect(framed + result.junk).toBeLessThanOrEqual(bytes.length);
      }),
      fuzzOptions(300),
    );
  });

  it('accounts for every byte exactly: in a frame, in junk, or in an abandoned frame', () => {
    fc.assert(
      fc.property(mllpNoise, cuts, (noise, points) => {
        // The end block closes whatever frame the noise left open, so no byte is still held.
        const bytes = Buffer.concat([noise, Buffer.of(0x1c, 0x0d)]);
        const result = run(splitAt(bytes, points));
        const framed = result.frames.reduce((sum, f) => sum + f.length + 3, 0);
        expect(framed + result.junk).toBe(bytes.length);
      }),
      fuzzOptions(300),
    );
  });

  it('yields the same frames from a valid stream however it is cut', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(between, payload), { maxLength: 8 }), between, cuts, (parts, tail, points) => {
        const stream = Buffer.concat([...parts.flatMap(([junk, p]) => [junk, encodeFrame(p)]), tail]);
        const whole = run([stream]);
        expect(whole.frames).toEqual(parts.map(([, p]) => p.toString('latin1')));
        expect(run(splitAt(stream, points))).toEqual(whole);
        // Byte by byte, the hardest cut of all.
        expect(run([...stream].map((b) => Buffer.of(b)))).toEqual(whole);
      }),
      fuzzOptions(200),
    );
  });

  it('refuses an oversize frame the same way however the stream is cut', () => {
    fc.assert(
      fc.property(fc.array(payload, { minLength: 1, maxLength: 6 }), cuts, (payloads, points) => {
        const stream = Buffer.concat(payloads.map((p) => encodeFrame(p)));
        const whole = run([stream], 64);
        const split = run(splitAt(stream, points), 64);
        expect(split.frames).toEqual(whole.frames);
        expect(split.oversize).toBe(whole.oversize);
        expect(whole.frames.every((f) => f.length <= 64)).toBe(true);
        expect(whole.oversize).toBe(payloads.some((p) => p.length > 64) ? 1 : 0);
      }),
      fuzzOptions(200),
    );
  });
});

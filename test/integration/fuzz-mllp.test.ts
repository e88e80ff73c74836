import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app-harness.ts';
import { countFrames, damagedMessage, fuzzOptions, mllpNoise, splitAt, validMessage } from '../support/hl7-fuzz.ts';
import { buildMessage } from '../support/messages.ts';
import { openRawPeer, readAck } from '../support/mllp-raw.ts';

// Property-based tests over a real MLLP connection to the real service (embedded store): random
// bytes and damaged messages never crash it, every complete frame gets exactly one answer, a broken
// MSH never gets AA/CA, and how a stream is cut into writes never changes the answers.

const VT = Buffer.of(0x0b);
const END = Buffer.of(0x1c, 0x0d);
const frame = (payload: Buffer): Buffer => Buffer.concat([VT, payload, END]);
const cuts = fc.array(fc.nat(), { maxLength: 10 });

let batches = 0;
function batchOf(messages: string[]): Buffer {
  const text = `BHS|^~\\&|FUZZ|FAC|||20260115103000||||FUZZ-B${++batches}\r${messages.join('')}BTS|${messages.length}\r`;
  return Buffer.from(text, 'latin1');
}

/** Frames whose every message has a broken MSH: alone, or several in a batch. */
const brokenFrames = fc.array(
  fc.oneof(
    damagedMessage.map((d) => Buffer.from(d.text, 'latin1')),
    fc.array(damagedMessage, { minLength: 1, maxLength: 3 }).map((list) => batchOf(list.map((d) => d.text))),
  ),
  { minLength: 1, maxLength: 6 },
);

/** Valid and broken messages and batches, with junk between frames. */
const mixedStream = fc
  .array(
    fc.tuple(
      fc.oneof(
        validMessage.map((t) => Buffer.from(t)),
        damagedMessage.map((d) => Buffer.from(d.text, 'latin1')),
        fc.array(fc.oneof(validMessage, damagedMessage.map((d) => d.text)), { maxLength: 3 }).map(batchOf),
      ),
      fc.uint8Array({ maxLength: 6 }).map((b) => Buffer.from(b.filter((x) => x !== 0x0b))),
    ),
    { minLength: 1, maxLength: 6 },
  )
  .map((parts) => ({ frames: parts.length, stream: Buffer.concat(parts.flatMap(([payload, junk]) => [junk, frame(payload)])) }));

/** MSA-1 and MSA-2 of every ACK in a reply (one, or one per message of a batch), never timestamps. */
function answersOf(reply: Buffer): string[] {
  const text = reply.toString('latin1');
  const separator = text.charAt(3);
  return text
    .split('\r')
    .filter((s) => s.startsWith(`MSA${separator}`))
    .map((s) => s.split(separator).slice(1, 3).join(' '));
}

describe('MLLP fuzz (sqlite)', () => {
  let t: TestApp;
  let probes = 0;

  beforeAll(async () => {
    t = await startTestApp('sqlite');
  });
  afterAll(async () => {
    await t?.close();
  });

  /** Writes the chunks on a fresh connection, then a probe: frames are answered in order, so the probe's answer closes the list. */
  async function exchange(chunks: Buffer[]): Promise<Buffer[]> {
    const probe = `PROBE-${++probes}`;
    const peer = await openRawPeer(t.port);
    for (const chunk of chunks) peer.write(chunk);
    peer.send(buildMessage({ controlId: probe }));
    for (let n = 1; readAck(await peer.reply(n)).controlId !== probe; n++);
    peer.end();
    await peer.closed;
    return peer.replies.slice(0, -1);
  }

  it('survives random byte streams and answers every complete frame exactly once', async () => {
    await fc.assert(
      fc.asyncProperty(mllpNoise, cuts, async (noise, points) => {
        // The end block closes a frame the noise may have left open, so the probe is a frame of its own.
        const stream = Buffer.concat([noise, END]);
        const replies = await exchange(splitAt(stream, points));
        expect(replies).toHaveLength(countFrames(stream));
        for (const reply of replies) expect(answersOf(reply)).not.toEqual([]);
      }),
      fuzzOptions(40),
    );
  });

  it('never answers AA or CA to a message whose MSH is broken, alone or in a batch', async () => {
    await fc.assert(
      fc.asyncProperty(brokenFrames, cuts, async (payloads, points) => {
        const replies = await exchange(splitAt(Buffer.concat(payloads.map(frame)), points));
        expect(replies).toHaveLength(payloads.length);
        for (const code of replies.flatMap(answersOf).map((a) => a.split(' ')[0])) {
          expect(['AE', 'AR', 'CE', 'CR']).toContain(code);
        }
      }),
      fuzzOptions(40),
    );
  });

  it('gives the same answers to the same stream written in two different cuts', async () => {
    await fc.assert(
      fc.asyncProperty(mixedStream, cuts, cuts, async ({ frames, stream }, first, second) => {
        const a = (await exchange(splitAt(stream, first))).map(answersOf);
        const b = (await exchange(splitAt(stream, second))).map(answersOf);
        expect(a).toHaveLength(frames);
        expect(b).toEqual(a);
      }),
      fuzzOptions(30),
    );
  });

  it('is still serving after all of it', async () => {
    const replies = await exchange([frame(Buffer.from(buildMessage({ controlId: 'AFTER-FUZZ' })))]);
    expect(replies.map(answersOf)).toEqual([['AA AFTER-FUZZ']]);
    expect(t.logs.join('\n')).not.toMatch(/"level":(50|60)/);
  });
});

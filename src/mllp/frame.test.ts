import { describe, expect, it } from 'vitest';
import { createFrameReader, encodeFrame, type FrameEvent, type FrameReader } from './frame.ts';

const VT = '\x0b';
const FS = '\x1c';
const CR = '\r';

const bytes = (text: string): Buffer => Buffer.from(text, 'latin1');

// Events as plain data, payloads as text, so a table can state them.
type Seen = { frame: string } | { junk: number } | { abandoned: number } | { oversize: string; bytes: number };

function describeEvent(event: FrameEvent): Seen {
  switch (event.kind) {
    case 'frame':
      return { frame: event.payload.toString('latin1') };
    case 'junk':
      return { junk: event.bytes };
    case 'abandoned':
      return { abandoned: event.bytes };
    case 'oversize':
      return { oversize: event.head.toString('latin1'), bytes: event.bytes };
  }
}

function feed(reader: FrameReader, chunks: string[]): Seen[] {
  return chunks.flatMap((chunk) => reader.push(bytes(chunk)).map(describeEvent));
}

describe('encodeFrame', () => {
  it.each([
    ['MSH|^~\\&|A\rPID|1\r', `${VT}MSH|^~\\&|A\rPID|1\r${FS}${CR}`],
    ['', `${VT}${FS}${CR}`],
  ])('wraps %j in start block, end block and carriage return', (payload, framed) => {
    expect(encodeFrame(bytes(payload)).toString('latin1')).toBe(framed);
  });
});

describe('createFrameReader', () => {
  it.each<{ name: string; chunks: string[]; events: Seen[]; inFrame?: boolean; buffered?: number }>([
    { name: 'one complete frame', chunks: [`${VT}abc${FS}${CR}`], events: [{ frame: 'abc' }] },
    { name: 'empty frame', chunks: [`${VT}${FS}${CR}`], events: [{ frame: '' }] },
    { name: 'missing start block', chunks: [`abc${FS}${CR}`], events: [{ junk: 5 }] },
    { name: 'missing end block', chunks: [`${VT}abc`], events: [], inFrame: true, buffered: 3 },
    { name: '0x1C without 0x0D is data', chunks: [`${VT}a${FS}b${FS}${CR}`], events: [{ frame: `a${FS}b` }] },
    { name: 'end block followed by LF', chunks: [`${VT}a${FS}\n`], events: [], inFrame: true, buffered: 3 },
    { name: 'too short: start block only', chunks: [VT], events: [], inFrame: true, buffered: 0 },
    { name: 'too short: no carriage return yet', chunks: [`${VT}${FS}`], events: [], inFrame: true },
    { name: 'too short: end block only', chunks: [`${FS}${CR}`], events: [{ junk: 2 }] },
    // A start block inside an unfinished frame: the sender gave up on it and starts over.
    { name: '0x0B inside a frame starts a new one', chunks: [`${VT}a${VT}b${FS}${CR}`], events: [{ abandoned: 2 }, { frame: 'b' }] },
    { name: '0x0B right after 0x0B', chunks: [`${VT}${VT}a${FS}${CR}`], events: [{ abandoned: 1 }, { frame: 'a' }] },
    { name: 'abandoned across pushes', chunks: [`${VT}abc`, `de${VT}f${FS}${CR}`], events: [{ abandoned: 6 }, { frame: 'f' }] },
    { name: 'held 0x1C, then 0x0B', chunks: [`${VT}ab${FS}`, `${VT}c${FS}${CR}`], events: [{ abandoned: 4 }, { frame: 'c' }] },
    {
      name: 'two abandoned frames, then a complete one',
      chunks: [`xx${VT}a${VT}b${VT}c${FS}${CR}`],
      events: [{ junk: 2 }, { abandoned: 2 }, { abandoned: 2 }, { frame: 'c' }],
    },
    { name: 'abandoned, the new frame unfinished', chunks: [`${VT}a${VT}bc`], events: [{ abandoned: 2 }], inFrame: true, buffered: 2 },
    {
      name: 'several frames in one chunk',
      chunks: [`${VT}a${FS}${CR}${VT}b${FS}${CR}${VT}c${FS}${CR}`],
      events: [{ frame: 'a' }, { frame: 'b' }, { frame: 'c' }],
    },
    {
      name: 'junk before, between and after frames',
      chunks: [`xx${VT}a${FS}${CR}\n\r${VT}b${FS}${CR}\n`],
      events: [{ junk: 2 }, { frame: 'a' }, { junk: 2 }, { frame: 'b' }, { junk: 1 }],
    },
    { name: 'partial frame across pushes', chunks: [`${VT}ab`, 'cd', `e${FS}${CR}`], events: [{ frame: 'abcde' }] },
    { name: 'end block split across chunks', chunks: [`${VT}ab${FS}`, `${CR}`], events: [{ frame: 'ab' }] },
    { name: 'split 0x1C that is data', chunks: [`${VT}ab${FS}`, `c${FS}${CR}`], events: [{ frame: `ab${FS}c` }] },
    { name: 'empty push keeps a held 0x1C', chunks: [`${VT}a${FS}`, '', CR], events: [{ frame: 'a' }] },
    { name: 'frame then an unfinished one', chunks: [`${VT}a${FS}${CR}${VT}b`], events: [{ frame: 'a' }], inFrame: true, buffered: 1 },
  ])('$name', ({ chunks, events, inFrame = false, buffered = 0 }) => {
    const reader = createFrameReader({ maxMessageBytes: 1024 });
    expect(feed(reader, chunks)).toEqual(events);
    expect(reader.inFrame).toBe(inFrame);
    if (inFrame) expect(reader.bufferedBytes).toBe(buffered);
  });

  const stream = `junk${VT}MSH|first\r${FS}${CR}\n${VT}${FS}${CR}${VT}MSH|${VT}second${FS}x${FS}${CR}`;
  const expectedFrames = ['MSH|first\r', '', `second${FS}x`];
  const expectedJunk = 5 + 5; // 'junk', '\n', and the abandoned `${VT}MSH|`

  /** Junk and abandoned frames as one byte total (how a stream is cut changes how junk is split into runs). */
  function summarise(events: Seen[]): { frames: string[]; junk: number } {
    const frames = events.flatMap((e) => ('frame' in e ? [e.frame] : []));
    const junk = events.reduce((sum, e) => sum + ('junk' in e ? e.junk : 'abandoned' in e ? e.abandoned : 0), 0);
    return { frames, junk };
  }

  it.each(Array.from({ length: stream.length + 1 }, (_, at) => at))(
    'gives the same frames and junk when the stream is split at byte %i',
    (at) => {
      const events = feed(createFrameReader({ maxMessageBytes: 1024 }), [stream.slice(0, at), stream.slice(at)]);
      expect(summarise(events)).toEqual({ frames: expectedFrames, junk: expectedJunk });
    },
  );

  it('gives the same frames and junk when the stream arrives one byte at a time', () => {
    const events = feed(createFrameReader({ maxMessageBytes: 1024 }), [...stream]);
    expect(summarise(events)).toEqual({ frames: expectedFrames, junk: expectedJunk });
  });
});

describe('createFrameReader with maxMessageBytes', () => {
  it.each<{ name: string; chunks: string[]; events: Seen[] }>([
    {
      name: 'reports a complete frame one byte over the limit',
      chunks: [`${VT}123456789${FS}${CR}${VT}next${FS}${CR}`],
      events: [{ oversize: '123456789', bytes: 9 }],
    },
    {
      name: 'reports an unfinished frame as soon as it passes the limit',
      chunks: [`${VT}12345`, '67890', `abc${FS}${CR}`],
      events: [{ oversize: '1234567890', bytes: 10 }],
    },
    {
      name: 'counts a held 0x1C that turned out to be data',
      chunks: [`${VT}12345678${FS}`, 'x'],
      events: [{ oversize: `12345678${FS}`, bytes: 9 }],
    },
  ])('$name, then ignores the rest of the stream', ({ chunks, events }) => {
    const reader = createFrameReader({ maxMessageBytes: 8 });
    expect(feed(reader, chunks)).toEqual(events);
    expect(feed(reader, [`${VT}more${FS}${CR}`])).toEqual([]);
    expect(reader.inFrame).toBe(false);
    expect(reader.bufferedBytes).toBe(0);
  });

  it('does not count an abandoned frame against the limit of the frame that replaces it', () => {
    const reader = createFrameReader({ maxMessageBytes: 8 });
    expect(feed(reader, [`${VT}123456${VT}12345678${FS}${CR}`])).toEqual([{ abandoned: 7 }, { frame: '12345678' }]);
  });

  it('reports an oversize frame even when a start block follows it', () => {
    const reader = createFrameReader({ maxMessageBytes: 8 });
    expect(feed(reader, [`${VT}123456789${VT}next${FS}${CR}`])).toEqual([{ oversize: '123456789', bytes: 9 }]);
  });

  it('accepts a payload of exactly the limit and keeps reading', () => {
    const reader = createFrameReader({ maxMessageBytes: 8 });
    expect(feed(reader, [`${VT}12345678${FS}${CR}`, `${VT}next${FS}${CR}`])).toEqual([{ frame: '12345678' }, { frame: 'next' }]);
  });

  it('keeps the first 64 KiB of an oversize frame, enough to read its MSH', () => {
    const reader = createFrameReader({ maxMessageBytes: 1024 });
    const payload = Buffer.alloc(200 * 1024, 'A');
    payload.write('MSH|^~\\&|', 0, 'latin1');
    const events = reader.push(Buffer.concat([bytes(VT), payload]));
    expect(events).toHaveLength(1);
    const [event] = events;
    if (event?.kind !== 'oversize') throw new Error(`expected oversize, got ${event?.kind}`);
    expect(event.head.length).toBe(64 * 1024);
    expect(event.head.subarray(0, 9).toString('latin1')).toBe('MSH|^~\\&|');
    expect(event.bytes).toBe(200 * 1024);
  });
});

describe('createFrameReader on large frames', () => {
  it('reassembles a 1 MiB frame arriving in 64 KiB chunks', () => {
    const payload = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < payload.length; i++) payload[i] = 0x20 + (i % 90);
    const framed = encodeFrame(payload);
    const reader = createFrameReader({ maxMessageBytes: 10 * 1024 * 1024 });
    const events: FrameEvent[] = [];
    for (let at = 0; at < framed.length; at += 64 * 1024) {
      events.push(...reader.push(framed.subarray(at, at + 64 * 1024)));
      if (at + 64 * 1024 < framed.length) expect(reader.bufferedBytes).toBe(Math.min(at + 64 * 1024 - 1, payload.length));
    }
    expect(events).toHaveLength(1);
    const [event] = events;
    expect(event?.kind).toBe('frame');
    if (event?.kind === 'frame') expect(event.payload.equals(payload)).toBe(true);
  });

  it('returns a payload that does not share memory with the pushed chunk', () => {
    const chunk = bytes(`${VT}abc${FS}${CR}`);
    const [event] = createFrameReader({ maxMessageBytes: 1024 }).push(chunk);
    chunk.fill(0);
    expect(event?.kind === 'frame' && event.payload.toString('latin1')).toBe('abc');
  });
});

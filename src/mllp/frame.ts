// MLLP framing (HL7 v2 MLLP transport, release 2): a message travels as 0x0B <payload> 0x1C 0x0D.
// This module frames bytes and nothing else: no sockets, no HL7, no logs.

export const START_BLOCK = 0x0b;
export const END_BLOCK = 0x1c;
export const CARRIAGE_RETURN = 0x0d;

// Enough of an oversize frame to read its MSH segment and answer it.
const OVERSIZE_HEAD_BYTES = 64 * 1024;

export type FrameEvent =
  | { kind: 'frame'; payload: Buffer }
  | { kind: 'junk'; bytes: number }
  /** An unfinished frame that a new start block replaced: its start block and payload so far. */
  | { kind: 'abandoned'; bytes: number }
  | { kind: 'oversize'; head: Buffer; bytes: number };

export type FrameReader = {
  /** Feeds the next bytes of the stream; returns what they completed, in stream order. */
  push(chunk: Buffer): FrameEvent[];
  /** A start block has been seen and its frame has not ended yet. */
  readonly inFrame: boolean;
  /** Payload bytes held for the unfinished frame. */
  readonly bufferedBytes: number;
};

export function encodeFrame(payload: Buffer): Buffer {
  const framed = Buffer.allocUnsafe(payload.length + 3);
  framed[0] = START_BLOCK;
  payload.copy(framed, 1);
  framed[payload.length + 1] = END_BLOCK;
  framed[payload.length + 2] = CARRIAGE_RETURN;
  return framed;
}

/**
 * A stateful reader for one connection's byte stream.
 * Bytes outside frames are reported as junk, one event per contiguous run within a push.
 * A start block inside an unfinished frame starts a new frame and reports the old one as
 * `abandoned`: MLLP content never holds 0x0B, so it means the sender gave up on that frame and
 * began again, and gluing both into one payload would store a corrupt message and leave the
 * complete one unanswered.
 * After an `oversize` event the reader is poisoned (the connection is to be closed) and ignores
 * everything further. Large frames cost O(n): each byte is searched at most twice (for an end block
 * and for a start block) and the payload is concatenated once.
 */
export function createFrameReader(options: { maxMessageBytes: number }): FrameReader {
  let chunks: Buffer[] = [];
  let frameBytes = 0;
  let inFrame = false;
  // The frame's bytes so far end with 0x1C at a chunk boundary; only the next byte tells whether
  // it is the end block (0x1C 0x0D) or data.
  let heldEndBlock = false;
  let poisoned = false;

  function push(chunk: Buffer): FrameEvent[] {
    const events: FrameEvent[] = [];
    let pos = 0;
    if (heldEndBlock && chunk.length > 0) {
      heldEndBlock = false;
      if (chunk[0] === CARRIAGE_RETURN) {
        events.push(finishFrame());
        pos = 1;
      } else {
        append(Buffer.of(END_BLOCK), events);
      }
    }
    while (pos < chunk.length && !poisoned) {
      pos = inFrame ? readInFrame(chunk, pos, events) : skipJunk(chunk, pos, events);
    }
    return events;
  }

  function skipJunk(chunk: Buffer, pos: number, events: FrameEvent[]): number {
    const start = chunk.indexOf(START_BLOCK, pos);
    const junkEnd = start === -1 ? chunk.length : start;
    if (junkEnd > pos) events.push({ kind: 'junk', bytes: junkEnd - pos });
    if (start === -1) return chunk.length;
    inFrame = true;
    return start + 1;
  }

  function readInFrame(chunk: Buffer, pos: number, events: FrameEvent[]): number {
    // Only 0x1C bytes that are data move `from`, and never past `restart`: one search is enough.
    const restart = chunk.indexOf(START_BLOCK, pos);
    for (let from = pos; ; ) {
      const end = chunk.indexOf(END_BLOCK, from);
      if (restart !== -1 && (end === -1 || restart < end)) {
        append(chunk.subarray(pos, restart), events);
        if (!poisoned) abandonFrame(events);
        return restart + 1;
      }
      if (end === -1) {
        append(chunk.subarray(pos), events);
        return chunk.length;
      }
      if (end === chunk.length - 1) {
        append(chunk.subarray(pos, end), events);
        heldEndBlock = !poisoned;
        return chunk.length;
      }
      if (chunk[end + 1] === CARRIAGE_RETURN) {
        append(chunk.subarray(pos, end), events);
        if (!poisoned) events.push(finishFrame());
        return end + 2;
      }
      from = end + 1; // 0x1C not followed by 0x0D is data
    }
  }

  function append(segment: Buffer, events: FrameEvent[]): void {
    if (segment.length === 0 || poisoned) return;
    chunks.push(segment);
    const total = frameBytes + segment.length;
    if (total <= options.maxMessageBytes) {
      frameBytes = total;
      return;
    }
    const head = Buffer.concat(chunks, Math.min(total, OVERSIZE_HEAD_BYTES));
    events.push({ kind: 'oversize', head, bytes: total });
    poisoned = true;
    inFrame = false;
    chunks = [];
    frameBytes = 0;
  }

  /** The start block at hand opens the next frame: `inFrame` stays true. */
  function abandonFrame(events: FrameEvent[]): void {
    events.push({ kind: 'abandoned', bytes: 1 + frameBytes });
    chunks = [];
    frameBytes = 0;
  }

  function finishFrame(): FrameEvent {
    // A copy, so the payload does not pin the socket's (possibly much larger) read buffers.
    const payload = Buffer.concat(chunks, frameBytes);
    chunks = [];
    frameBytes = 0;
    inFrame = false;
    return { kind: 'frame', payload };
  }

  return {
    push,
    get inFrame() {
      return inFrame;
    },
    get bufferedBytes() {
      return frameBytes;
    },
  };
}

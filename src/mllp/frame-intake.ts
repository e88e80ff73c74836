import type { Logger } from 'pino';
import { createFrameReader, type FrameEvent } from './frame.ts';
import type { InboundFrame, MllpCounters } from './frame-handler.ts';

// Reading and framing for one connection: socket chunks in, frames out to the pipeline, junk and
// abandoned frames counted and logged by size only (never their bytes: they may hold PHI).

export type FrameIntakeDeps = {
  maxMessageBytes: number;
  counters: MllpCounters;
  log: Logger;
  /** A complete frame (or an oversize one, whose head is kept) to be handled and answered. */
  deliver(frame: InboundFrame): void;
  /** An oversize frame was delivered: the rest of the stream cannot be framed reliably. */
  onOversize(): void;
};

export type FrameIntake = {
  /** Frames a chunk; returns whether a frame ended or was replaced (its time limit starts over). */
  push(chunk: Buffer): boolean;
  /** A start block has been seen and its frame has not ended yet. */
  readonly inFrame: boolean;
  /** Payload bytes held for the unfinished frame. */
  readonly bufferedBytes: number;
  /** Frames delivered so far (oversize included). */
  readonly frames: number;
};

export function createFrameIntake(deps: FrameIntakeDeps): FrameIntake {
  const { counters, log } = deps;
  const reader = createFrameReader({ maxMessageBytes: deps.maxMessageBytes });
  let frames = 0;

  /** Returns whether the event ended or replaced a frame. */
  function onEvent(event: FrameEvent): boolean {
    switch (event.kind) {
      case 'frame':
        frames++;
        counters.framesReceived++;
        deps.deliver({ kind: 'message', payload: event.payload });
        return true;
      case 'junk':
        counters.junkBytes += event.bytes;
        counters.junkRuns++;
        log.warn({ bytes: event.bytes }, 'MLLP bytes outside a frame dropped');
        return false;
      case 'abandoned':
        counters.junkBytes += event.bytes;
        counters.junkRuns++;
        log.warn({ bytes: event.bytes }, 'MLLP unfinished frame dropped: a new start block began another');
        return true;
      case 'oversize':
        frames++;
        counters.oversizeFrames++;
        log.warn({ bytes: event.bytes, maxMessageBytes: deps.maxMessageBytes }, 'MLLP frame over maxMessageBytes');
        deps.deliver({ kind: 'oversize', head: event.head, bytes: event.bytes });
        deps.onOversize();
        return true;
    }
  }

  return {
    push(chunk) {
      let restarted = false;
      for (const event of reader.push(chunk)) restarted = onEvent(event) || restarted;
      return restarted;
    },
    get inFrame() {
      return reader.inFrame;
    },
    get bufferedBytes() {
      return reader.bufferedBytes;
    },
    get frames() {
      return frames;
    },
  };
}

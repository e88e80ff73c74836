import type { FrameReply, InboundFrame } from './frame-handler.ts';

// The frames of one connection, from received to answered. Up to `limit` are unanswered at once
// (handled concurrently, or handled and waiting for an earlier one); replies are released strictly
// in arrival order: a reply waits for all earlier ones. No sockets here, so it can be reasoned
// about (and tested) on its own; connection.ts owns reading, writing and closing.

type Slot = { settled: boolean; failed: boolean; reply: Buffer | null; bytes: number };

export type PipelineOptions = {
  limit: number;
  handle(frame: InboundFrame): Promise<FrameReply>;
  /** Checked before each start (e.g. false while the peer is not reading what we write). */
  canStart(): boolean;
  /** The next replies in arrival order, released together. */
  write(replies: Buffer[]): void;
  /** A handler rejected. Nothing from that frame on is answered; frames not started are dropped. */
  onFailure(err: unknown): void;
  /** A handler settled (and any releasable replies were written). */
  onProgress(): void;
};

export type ReplyPipeline = {
  /** Queues a received frame; `pump()` starts it when there is room. */
  push(frame: InboundFrame): void;
  pump(): void;
  /** Received and not answered yet: not started, in flight, or handled and waiting for an earlier one. */
  readonly unanswered: number;
  /** Payload bytes of the unanswered frames (the byte budget counts them until their reply is written). */
  readonly heldBytes: number;
  /** Nothing queued, nothing unanswered, and no handler still running. */
  readonly idle: boolean;
  /** The socket is gone: drop everything; running handlers finish with nowhere to answer. */
  abandon(): void;
};

export function createReplyPipeline(options: PipelineOptions): ReplyPipeline {
  const waiting: InboundFrame[] = [];
  let slots: Slot[] = [];
  let running = 0;
  let heldBytes = 0;
  let broken = false;

  function pump(): void {
    while (waiting.length > 0 && slots.length < options.limit && !broken && options.canStart()) {
      start(waiting.shift() as InboundFrame);
    }
  }

  function start(frame: InboundFrame): void {
    const slot: Slot = { settled: false, failed: false, reply: null, bytes: bytesOf(frame) };
    slots.push(slot);
    running++;
    let handled: Promise<FrameReply>;
    try {
      handled = options.handle(frame);
    } catch (err) {
      handled = Promise.reject(err);
    }
    handled.then(
      (answer) => settle(slot, answer.reply, false, undefined),
      (err: unknown) => settle(slot, null, true, err),
    );
  }

  function settle(slot: Slot, reply: Buffer | null, failed: boolean, err: unknown): void {
    running--;
    slot.settled = true;
    slot.reply = reply;
    slot.failed = failed;
    if (failed) {
      broken = true;
      dropWaiting();
      options.onFailure(err);
    }
    release();
    options.onProgress();
  }

  function release(): void {
    let replies: Buffer[] | null = null;
    while (slots.length > 0) {
      const head = slots[0] as Slot;
      if (!head.settled) break;
      if (head.failed) {
        dropSlots(); // later frames are not answered, even when they finish
        break;
      }
      slots.shift();
      heldBytes -= head.bytes;
      if (head.reply !== null) (replies ??= []).push(head.reply);
    }
    if (replies !== null) options.write(replies);
  }

  function dropWaiting(): void {
    for (const frame of waiting) heldBytes -= bytesOf(frame);
    waiting.length = 0;
  }

  function dropSlots(): void {
    for (const slot of slots) heldBytes -= slot.bytes;
    slots = [];
  }

  return {
    push(frame) {
      if (broken) return;
      waiting.push(frame);
      heldBytes += bytesOf(frame);
    },
    pump,
    get unanswered() {
      return waiting.length + slots.length;
    },
    get heldBytes() {
      return heldBytes;
    },
    get idle() {
      return waiting.length === 0 && slots.length === 0 && running === 0;
    },
    abandon() {
      broken = true;
      dropWaiting();
      dropSlots();
    },
  };
}

function bytesOf(frame: InboundFrame): number {
  return frame.kind === 'message' ? frame.payload.length : frame.head.length;
}

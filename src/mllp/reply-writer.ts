import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { encodeFrame } from './frame.ts';
import type { MllpCounters } from './frame-handler.ts';

// Writes one connection's replies, framed. A group commit settles many handlers in one run of
// promise callbacks; their replies are gathered and written once that run is over
// (process.nextTick fires when the microtask queue is empty), corked into one writev instead of
// one syscall and one TCP segment each. Stop-and-wait pays nothing: its reply is alone.

export type ReplyWriter = {
  write(replies: Buffer[]): void;
  /** Writes what is gathered now (before the socket is ended). */
  flush(): void;
  /**
   * The peer is not reading: more than highWaterMark is buffered (or gathered). Frames should
   * not be started until `onUnblocked`.
   */
  readonly blocked: boolean;
};

export function createReplyWriter(socket: Socket, counters: MllpCounters, log: Logger, onUnblocked: () => void): ReplyWriter {
  let gathered: Buffer[] = [];
  let gatheredBytes = 0;
  let needDrain = false;

  socket.on('drain', () => {
    needDrain = false;
    onUnblocked();
  });

  function flush(): void {
    const replies = gathered;
    const wasFull = gatheredBytes >= socket.writableHighWaterMark;
    gathered = [];
    gatheredBytes = 0;
    if (replies.length === 0 || socket.destroyed) return;
    if (replies.length > 1) socket.cork();
    let flushed = true;
    for (const reply of replies) flushed = socket.write(encodeFrame(reply));
    if (replies.length > 1) socket.uncork();
    counters.repliesSent += replies.length;
    if (!flushed && !needDrain) {
      needDrain = true;
      log.debug({ bufferedBytes: socket.writableLength }, 'MLLP peer not reading its replies; holding further frames');
    } else if (flushed && wasFull) {
      onUnblocked(); // starts were held back for the gathered replies; they have left now
    }
  }

  return {
    write(replies) {
      if (socket.destroyed) return; // the sender left; it will retransmit what it saw unanswered
      if (gathered.length === 0) process.nextTick(flush);
      for (const reply of replies) {
        gathered.push(reply);
        gatheredBytes += reply.length;
      }
    },
    flush,
    get blocked() {
      return needDrain || gatheredBytes >= socket.writableHighWaterMark;
    },
  };
}

import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { createFrameReader, type FrameEvent } from './frame.ts';
import { createReplyPipeline, type ReplyPipeline } from './pipeline.ts';
import { createReplyWriter } from './reply-writer.ts';
import type { MllpConfig } from '../config/schema.ts';
import type { FrameHandler, FrameSource, MllpCounters } from './frame-handler.ts';

// One accepted MLLP socket: read → frame → handle (up to maxInFlightPerConnection at once, so a
// pipelining sender is not served one round trip at a time) → write the replies in arrival order.
// Reading pauses while that many frames are unanswered, or while the peer is not reading our
// replies (the socket's write buffer is over its highWaterMark): memory stays bounded per socket.

// Once we have ended our side, a peer that does not close its side within this time is destroyed.
const END_LINGER_MS = 5_000;

type CloseReason = 'peer' | 'idle-timeout' | 'reply-timeout' | 'frame-timeout' | 'oversize' | 'handler-failure' | 'shutdown' | 'socket-error';

export type ConnectionContext = {
  socket: Socket;
  source: FrameSource;
  options: MllpConfig;
  handler: FrameHandler;
  counters: MllpCounters;
  log: Logger;
};

export type MllpConnection = {
  /** Stops reading; frames already received are handled and answered, then the socket is ended. */
  drain(): void;
  destroy(): void;
  /** Resolves once the socket has closed; never rejects. */
  readonly closed: Promise<void>;
};

export function openConnection(ctx: ConnectionContext): MllpConnection {
  const { socket, options, counters, log } = ctx;
  const reader = createFrameReader({ maxMessageBytes: options.maxMessageBytes });
  const openedAt = Date.now();
  let reading = true;
  let paused = false;
  let ending = false;
  let isClosed = false;
  let reason: CloseReason = 'peer';
  let frames = 0;
  let frameTimer: NodeJS.Timeout | undefined;
  let idleTimer: NodeJS.Timeout | undefined;
  let lastActivityAt = openedAt;
  let lingerTimer: NodeJS.Timeout | undefined;

  // A drained write buffer means the peer read our replies: that is activity too.
  const writer = createReplyWriter(socket, counters, log, () => {
    touch();
    afterProgress();
  });
  const pipeline: ReplyPipeline = createReplyPipeline({
    limit: options.maxInFlightPerConnection,
    handle: (frame) => ctx.handler(frame, ctx.source),
    // The peer is not reading its replies: starting more would only buffer more of them here.
    canStart: () => !isClosed && !writer.blocked,
    write: (replies) => writer.write(replies),
    onFailure(err) {
      // We cannot build an ACK here; closing without one tells the sender to retransmit. Later
      // frames already in flight finish (and may commit) but are never answered: an answer after
      // a missing one would be paired with the wrong message.
      counters.handlerFailures++;
      log.error({ err }, 'MLLP frame handler failed; closing the connection unanswered');
      stopReading('handler-failure');
    },
    onProgress: afterProgress,
  });

  socket.setNoDelay(true); // an ACK is one small write the sender is waiting for
  socket.on('data', onData);
  // The server allows half-open sockets: a sender that ends its side after its last frame still
  // gets the answers, and we end ours once they are written.
  socket.on('end', () => stopReading('peer'));
  socket.on('error', (err: NodeJS.ErrnoException) => {
    if (reason === 'peer') reason = 'socket-error';
    log.info({ code: err.code, errMessage: err.message }, 'MLLP socket error');
  });
  const closed = new Promise<void>((resolve) => {
    socket.once('close', () => {
      isClosed = true;
      clearTimeout(frameTimer);
      clearTimeout(idleTimer);
      clearTimeout(lingerTimer);
      const unanswered = pipeline.unanswered;
      pipeline.abandon(); // still-running handlers finish; their replies have nowhere to go
      log.info({ frames, durationMs: Date.now() - openedAt, reason, unanswered }, 'MLLP connection closed');
      resolve();
    });
  });
  log.info('MLLP connection opened');
  armIdleTimer(options.idleTimeoutMs);

  function onData(chunk: Buffer): void {
    if (!reading) return; // draining or ending: further bytes are not ours to answer
    touch();
    let completed = false;
    for (const event of reader.push(chunk)) completed = onFrameEvent(event) || completed;
    if (!reader.inFrame) clearFrameTimer();
    else if (completed || frameTimer === undefined) restartFrameTimer();
    afterProgress();
  }

  /** Returns whether the event ended a frame. */
  function onFrameEvent(event: FrameEvent): boolean {
    switch (event.kind) {
      case 'frame':
        frames++;
        counters.framesReceived++;
        pipeline.push({ kind: 'message', payload: event.payload });
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
        return true; // a new frame has started: its own frameTimeoutMs
      case 'oversize':
        frames++;
        counters.oversizeFrames++;
        log.warn({ bytes: event.bytes, maxMessageBytes: options.maxMessageBytes }, 'MLLP frame over maxMessageBytes');
        pipeline.push({ kind: 'oversize', head: event.head, bytes: event.bytes });
        stopReading('oversize'); // the rest of the stream cannot be framed reliably
        return true;
    }
  }

  /** After new frames, a settled handler or a drained write buffer: start, pause or resume, or finish. */
  function afterProgress(): void {
    if (isClosed) return;
    pipeline.pump();
    if (reading) {
      const full = writer.blocked || pipeline.unanswered >= options.maxInFlightPerConnection;
      if (full !== paused) setPaused(full);
      if (pipeline.idle) touch(); // idle counts from the last answer, not the last byte
    } else if (pipeline.idle) {
      endSocket();
    }
  }

  function setPaused(value: boolean): void {
    paused = value;
    if (value) socket.pause();
    else socket.resume();
  }

  function stopReading(why: CloseReason): void {
    if (!reading) return;
    reading = false;
    if (reason === 'peer') reason = why;
    clearFrameTimer();
    clearTimeout(idleTimer);
    idleTimer = undefined;
    socket.pause();
    if (pipeline.idle) endSocket();
  }

  function endSocket(): void {
    if (ending || isClosed) return;
    ending = true;
    writer.flush();
    socket.end(); // queued after the replies already written, so they are flushed first
    // Read and discard until the peer closes its side: closing with unread bytes would send a reset,
    // which can make the peer drop the replies it has not read yet.
    socket.resume();
    lingerTimer = setTimeout(() => socket.destroy(), END_LINGER_MS);
  }

  function clearFrameTimer(): void {
    clearTimeout(frameTimer);
    frameTimer = undefined;
  }

  function restartFrameTimer(): void {
    clearTimeout(frameTimer);
    frameTimer = setTimeout(() => {
      counters.frameTimeouts++;
      log.warn({ frameTimeoutMs: options.frameTimeoutMs, bufferedBytes: reader.bufferedBytes }, 'MLLP frame not completed in time; closing');
      stopReading('frame-timeout');
    }, options.frameTimeoutMs);
  }

  /** Activity (a chunk read, or the last answer sent) only stamps a time: no timer work per message. */
  function touch(): void {
    lastActivityAt = Date.now();
  }

  function armIdleTimer(delayMs: number): void {
    idleTimer = setTimeout(onIdleTimer, delayMs);
  }

  function onIdleTimer(): void {
    idleTimer = undefined;
    if (!reading || isClosed) return;
    const quietMs = Date.now() - lastActivityAt;
    // A peer that has read none of its replies for idleTimeoutMs would hold its connection slot for
    // ever (its frames wait for it). Its unanswered messages are committed; it resends them, and
    // dedup answers them again.
    if (writer.blocked && quietMs >= options.idleTimeoutMs) {
      counters.idleTimeouts++;
      reason = 'reply-timeout';
      log.warn({ idleTimeoutMs: options.idleTimeoutMs, unanswered: pipeline.unanswered }, 'MLLP peer has not read its replies; closing');
      socket.destroy();
      return;
    }
    // Waiting on our own handler is not the sender being idle.
    if (!pipeline.idle) return armIdleTimer(options.idleTimeoutMs);
    if (quietMs < options.idleTimeoutMs) return armIdleTimer(options.idleTimeoutMs - quietMs);
    counters.idleTimeouts++;
    log.info({ idleTimeoutMs: options.idleTimeoutMs }, 'MLLP connection idle; closing');
    stopReading('idle-timeout');
  }

  return {
    drain: () => stopReading('shutdown'),
    destroy: () => socket.destroy(),
    closed,
  };
}

import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { createFrameReader, encodeFrame, type FrameEvent } from './frame.ts';
import type { FrameHandler, FrameSource, InboundFrame, MllpCounters, MllpServerOptions } from './server.ts';

// One accepted MLLP socket: read → frame → handle (one at a time, in arrival order) → write the reply.

// Above this many queued frames the socket is paused, so a fast sender cannot grow memory unbounded.
const MAX_QUEUED_FRAMES = 32;
// Once we have ended our side, a peer that does not close its side within this time is destroyed.
const END_LINGER_MS = 5_000;

type CloseReason = 'peer' | 'idle-timeout' | 'frame-timeout' | 'oversize' | 'handler-failure' | 'shutdown' | 'socket-error';

export type ConnectionContext = {
  socket: Socket;
  source: FrameSource;
  options: MllpServerOptions;
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
  const queue: InboundFrame[] = [];
  let handling = false;
  let reading = true;
  let ending = false;
  let isClosed = false;
  let reason: CloseReason = 'peer';
  let frames = 0;
  let frameTimer: NodeJS.Timeout | undefined;
  let idleTimer: NodeJS.Timeout | undefined;
  let lingerTimer: NodeJS.Timeout | undefined;

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
      log.info({ frames, durationMs: Date.now() - openedAt, reason, unanswered: queue.length + (handling ? 1 : 0) }, 'MLLP connection closed');
      resolve();
    });
  });
  log.info('MLLP connection opened');
  armIdleTimer();

  function onData(chunk: Buffer): void {
    if (!reading) return; // draining or ending: further bytes are not ours to answer
    armIdleTimer();
    let completed = false;
    for (const event of reader.push(chunk)) completed = onFrameEvent(event) || completed;
    if (!reader.inFrame) clearFrameTimer();
    else if (completed || frameTimer === undefined) restartFrameTimer();
    if (queue.length > MAX_QUEUED_FRAMES) socket.pause();
    startHandling();
  }

  /** Returns whether the event ended a frame. */
  function onFrameEvent(event: FrameEvent): boolean {
    switch (event.kind) {
      case 'frame':
        frames++;
        counters.framesReceived++;
        queue.push({ kind: 'message', payload: event.payload });
        return true;
      case 'junk':
        counters.junkBytes += event.bytes;
        counters.junkRuns++;
        log.warn({ bytes: event.bytes }, 'MLLP bytes outside a frame dropped');
        return false;
      case 'oversize':
        frames++;
        counters.oversizeFrames++;
        log.warn({ bytes: event.bytes, maxMessageBytes: options.maxMessageBytes }, 'MLLP frame over maxMessageBytes');
        queue.push({ kind: 'oversize', head: event.head, bytes: event.bytes });
        stopReading('oversize'); // the rest of the stream cannot be framed reliably
        return true;
    }
  }

  function startHandling(): void {
    if (handling) return;
    handling = true;
    handleQueue()
      .catch((err: unknown) => {
        log.error({ err }, 'MLLP connection failed');
        queue.length = 0;
        socket.destroy();
      })
      .finally(() => {
        handling = false;
        if (queue.length > 0 && !isClosed) return startHandling();
        armIdleTimer();
        if (!reading) endSocket();
      });
  }

  async function handleQueue(): Promise<void> {
    for (let frame = queue.shift(); frame !== undefined && !isClosed; frame = queue.shift()) {
      if (reading && socket.isPaused() && queue.length <= MAX_QUEUED_FRAMES / 2) socket.resume();
      let answer: Awaited<ReturnType<FrameHandler>>;
      try {
        answer = await ctx.handler(frame, ctx.source);
      } catch (err) {
        // We cannot build an ACK here; closing without one tells the sender to retransmit.
        counters.handlerFailures++;
        log.error({ err }, 'MLLP frame handler failed; closing the connection unanswered');
        queue.length = 0;
        stopReading('handler-failure');
        return;
      }
      if (isClosed) return; // the sender left; it will retransmit what it saw unanswered
      if (answer.reply) {
        socket.write(encodeFrame(answer.reply));
        counters.repliesSent++;
      }
    }
  }

  function stopReading(why: CloseReason): void {
    if (!reading) return;
    reading = false;
    if (reason === 'peer') reason = why;
    clearFrameTimer();
    clearTimeout(idleTimer);
    socket.pause();
    if (!handling && queue.length === 0) endSocket();
  }

  function endSocket(): void {
    if (ending || isClosed) return;
    ending = true;
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

  function armIdleTimer(): void {
    clearTimeout(idleTimer);
    if (!reading || isClosed) return;
    idleTimer = setTimeout(() => {
      // Waiting on our own handler is not the sender being idle.
      if (handling || queue.length > 0) return armIdleTimer();
      counters.idleTimeouts++;
      log.info({ idleTimeoutMs: options.idleTimeoutMs }, 'MLLP connection idle; closing');
      stopReading('idle-timeout');
    }, options.idleTimeoutMs);
  }

  return {
    drain: () => stopReading('shutdown'),
    destroy: () => socket.destroy(),
    closed,
  };
}

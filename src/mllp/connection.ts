import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { MllpConfig } from '../config/schema.ts';
import type { ByteBudget } from '../net/byte-budget.ts';
import { createBackPressure } from './back-pressure.ts';
import { createConnectionCloser } from './connection-close.ts';
import { createConnectionTimers } from './connection-timers.ts';
import type { FrameHandler, FrameSource, MllpCounters } from './frame-handler.ts';
import { createFrameIntake } from './frame-intake.ts';
import { createReplyPipeline } from './pipeline.ts';
import { createReplyWriter } from './reply-writer.ts';

// One accepted MLLP socket: read → frame (frame-intake.ts) → handle up to maxInFlightPerConnection
// at once, so a pipelining sender is not served one round trip at a time (pipeline.ts) → write the
// replies in arrival order (reply-writer.ts). Reading pauses while that many frames are unanswered,
// while the peer is not reading our replies, or while the shared byte budget is full
// (back-pressure.ts); timeouts in connection-timers.ts, ending and closing in connection-close.ts.
// This module only wires them: each event ends in afterProgress(), which decides what comes next.

export type ConnectionOptions = Pick<MllpConfig, 'maxMessageBytes' | 'maxInFlightPerConnection' | 'frameTimeoutMs' | 'idleTimeoutMs'>;

export type ConnectionContext = {
  socket: Socket;
  source: FrameSource;
  options: ConnectionOptions;
  handler: FrameHandler;
  counters: MllpCounters;
  budget: ByteBudget;
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

  // A drained write buffer means the peer read our replies: that is activity too.
  const writer = createReplyWriter(socket, counters, log, () => {
    timers.touch();
    afterProgress();
  });
  const pipeline = createReplyPipeline({
    limit: options.maxInFlightPerConnection,
    handle: (frame) => ctx.handler(frame, ctx.source),
    canStart: () => !closer.isClosed && !writer.blocked,
    write: (replies) => writer.write(replies),
    onFailure(err) {
      // We cannot build an ACK here; closing without one tells the sender to retransmit. Later
      // frames already in flight finish (and may commit) but are never answered: an answer after
      // a missing one would be paired with the wrong message.
      counters.handlerFailures++;
      log.error({ err }, 'MLLP frame handler failed; closing the connection unanswered');
      closer.stopReading('handler-failure');
    },
    onProgress: afterProgress,
  });
  const intake = createFrameIntake({
    maxMessageBytes: options.maxMessageBytes,
    counters,
    log,
    deliver: (frame) => pipeline.push(frame),
    onOversize: () => closer.stopReading('oversize'),
  });
  const pressure = createBackPressure({
    socket,
    budget: ctx.budget,
    maxInFlight: options.maxInFlightPerConnection,
    log,
    held: () => ({ arriving: intake.bufferedBytes, whole: pipeline.heldBytes }),
    unanswered: () => pipeline.unanswered,
    peerNotReading: () => writer.blocked,
    onBudgetChange: afterProgress,
    onPause: (reason) => timers.setPaused(reason !== null),
  });
  const timers = createConnectionTimers({
    frameTimeoutMs: options.frameTimeoutMs,
    idleTimeoutMs: options.idleTimeoutMs,
    counters,
    log,
    peerNotReading: () => writer.blocked,
    busy: () => !pipeline.idle || pressure.pausedFor !== null,
    bufferedBytes: () => intake.bufferedBytes,
    unanswered: () => pipeline.unanswered,
    stopReading: (why) => closer.stopReading(why),
    destroy: (why) => closer.destroy(why),
  });
  const closer = createConnectionCloser({
    socket,
    log,
    idle: () => pipeline.idle,
    flush: () => writer.flush(),
    onStopReading: () => timers.stop(),
    onClosed() {
      timers.stop();
      const unanswered = pipeline.unanswered;
      pipeline.abandon(); // still-running handlers finish; their replies have nowhere to go
      pressure.close();
      return { frames: intake.frames, unanswered };
    },
  });

  socket.setNoDelay(true); // an ACK is one small write the sender is waiting for
  socket.on('data', (chunk: Buffer) => {
    if (!closer.reading) return; // draining or ending: further bytes are not ours to answer
    timers.touch();
    const restarted = intake.push(chunk);
    timers.framed(intake.inFrame, restarted);
    afterProgress();
  });
  log.info('MLLP connection opened');

  /** After new frames, a settled handler, a drained write buffer or a budget change: start, pause or resume, or finish. */
  function afterProgress(): void {
    if (closer.isClosed) return;
    pipeline.pump();
    pressure.update(closer.reading);
    if (!closer.reading) closer.endWhenIdle();
    else if (pipeline.idle) timers.touch(); // idle counts from the last answer, not the last byte
  }

  return {
    drain: () => closer.stopReading('shutdown'),
    destroy: () => closer.destroy(),
    closed: closer.closed,
  };
}

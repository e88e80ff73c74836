import type { Socket } from 'node:net';
import type { Logger } from 'pino';

// Closing one connection: stop reading (with a reason), let what was received be answered, end our
// side once nothing is left to answer, and destroy a peer that does not close its side after that.

// Once we have ended our side, a peer that does not close its side within this time is destroyed.
const END_LINGER_MS = 5_000;

export type CloseReason = 'peer' | 'idle-timeout' | 'reply-timeout' | 'frame-timeout' | 'oversize' | 'handler-failure' | 'shutdown' | 'socket-error';

export type ConnectionCloserDeps = {
  socket: Socket;
  log: Logger;
  /** Nothing is left to answer and no handler still runs. */
  idle(): boolean;
  /** Writes the replies gathered so far (before the socket is ended). */
  flush(): void;
  /** Reading stopped: no more frames or timeouts. */
  onStopReading(): void;
  /** The socket closed: cleans up; returns what the close log line reports. */
  onClosed(): Record<string, unknown>;
};

export type ConnectionCloser = {
  readonly reading: boolean;
  readonly isClosed: boolean;
  /** Resolves once the socket has closed; never rejects. */
  readonly closed: Promise<void>;
  /** Frames already received are handled and answered, then the socket is ended. */
  stopReading(why: CloseReason): void;
  /** Once reading has stopped: ends the socket when nothing is left to answer. */
  endWhenIdle(): void;
  /** Closes at once, unanswered. */
  destroy(why?: CloseReason): void;
};

export function createConnectionCloser(deps: ConnectionCloserDeps): ConnectionCloser {
  const { socket, log } = deps;
  const openedAt = Date.now();
  let reading = true;
  let ending = false;
  let isClosed = false;
  let reason: CloseReason = 'peer';
  let lingerTimer: NodeJS.Timeout | undefined;

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
      clearTimeout(lingerTimer);
      const fields = deps.onClosed();
      log.info({ ...fields, durationMs: Date.now() - openedAt, reason }, 'MLLP connection closed');
      resolve();
    });
  });

  function stopReading(why: CloseReason): void {
    if (!reading) return;
    reading = false;
    if (reason === 'peer') reason = why;
    deps.onStopReading();
    socket.pause();
    endWhenIdle();
  }

  function endWhenIdle(): void {
    if (reading || ending || isClosed || !deps.idle()) return;
    ending = true;
    deps.flush();
    socket.end(); // queued after the replies already written, so they are flushed first
    // Read and discard until the peer closes its side: closing with unread bytes would send a reset,
    // which can make the peer drop the replies it has not read yet.
    socket.resume();
    lingerTimer = setTimeout(() => socket.destroy(), END_LINGER_MS);
  }

  return {
    get reading() {
      return reading;
    },
    get isClosed() {
      return isClosed;
    },
    closed,
    stopReading,
    endWhenIdle,
    destroy(why) {
      if (why !== undefined && reason === 'peer') reason = why;
      socket.destroy();
    },
  };
}

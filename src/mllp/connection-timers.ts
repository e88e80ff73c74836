import type { Logger } from 'pino';
import type { MllpCounters } from './frame-handler.ts';

// The timers of one connection. Frame timer: a started frame must end within frameTimeoutMs, but
// only time in which we were reading counts: while we hold the socket paused (back-pressure), the
// sender cannot finish its frame, and that is not its fault. Idle timer: a connection with no
// activity for idleTimeoutMs is closed, unless we are the ones keeping it waiting; a peer that has
// read none of its replies for that long is closed too (reply timeout).

export type ConnectionTimerDeps = {
  frameTimeoutMs: number;
  idleTimeoutMs: number;
  counters: MllpCounters;
  log: Logger;
  /** The peer has not read our replies (they are backed up in the socket). */
  peerNotReading(): boolean;
  /** We are keeping the sender waiting (our handler, or a pause of ours): not its idleness. */
  busy(): boolean;
  /** For the log lines: bytes of the unfinished frame, frames unanswered. */
  bufferedBytes(): number;
  unanswered(): number;
  stopReading(why: 'frame-timeout' | 'idle-timeout'): void;
  destroy(why: 'reply-timeout'): void;
};

export type ConnectionTimers = {
  /** After a chunk was framed: `restart` when a frame ended or was replaced. */
  framed(inFrame: boolean, restart: boolean): void;
  /** Back-pressure paused or resumed reading: the frame timer stops and goes on. */
  setPaused(paused: boolean): void;
  /** Activity (a chunk read, the last answer sent) only stamps a time: no timer work per message. */
  touch(): void;
  /** Reading stopped: no frame or idle timeout any more. */
  stop(): void;
};

export function createConnectionTimers(deps: ConnectionTimerDeps): ConnectionTimers {
  const { counters, log, frameTimeoutMs, idleTimeoutMs } = deps;
  const frameTimer = createPausableTimer(frameTimeoutMs, () => {
    counters.frameTimeouts++;
    log.warn({ frameTimeoutMs, bufferedBytes: deps.bufferedBytes() }, 'MLLP frame not completed in time; closing');
    deps.stopReading('frame-timeout');
  });
  let lastActivityAt = Date.now();
  let idleTimer: NodeJS.Timeout | undefined = setTimeout(onIdleTimer, idleTimeoutMs);

  function onIdleTimer(): void {
    idleTimer = undefined;
    const quietMs = Date.now() - lastActivityAt;
    // A peer that reads none of its replies would hold its connection slot for ever (its frames
    // wait for it). Its unanswered messages are committed; it resends them, and dedup answers again.
    if (deps.peerNotReading() && quietMs >= idleTimeoutMs) {
      counters.idleTimeouts++;
      log.warn({ idleTimeoutMs, unanswered: deps.unanswered() }, 'MLLP peer has not read its replies; closing');
      return deps.destroy('reply-timeout');
    }
    if (deps.busy()) return arm(idleTimeoutMs);
    if (quietMs < idleTimeoutMs) return arm(idleTimeoutMs - quietMs);
    counters.idleTimeouts++;
    log.info({ idleTimeoutMs }, 'MLLP connection idle; closing');
    deps.stopReading('idle-timeout');
  }

  function arm(delayMs: number): void {
    idleTimer = setTimeout(onIdleTimer, delayMs);
  }

  return {
    framed(inFrame, restart) {
      if (!inFrame) frameTimer.clear();
      else if (restart || !frameTimer.armed) frameTimer.start();
    },
    setPaused: (paused) => (paused ? frameTimer.pause() : frameTimer.resume()),
    touch() {
      lastActivityAt = Date.now();
    },
    stop() {
      frameTimer.clear();
      clearTimeout(idleTimer);
      idleTimer = undefined;
    },
  };
}

type PausableTimer = { start(): void; clear(): void; pause(): void; resume(): void; readonly armed: boolean };

/** A one-shot timer whose time runs only while it is not paused. */
function createPausableTimer(delayMs: number, onFire: () => void): PausableTimer {
  let armed = false;
  let paused = false;
  let remainingMs = delayMs;
  let runningSince = 0;
  let timer: NodeJS.Timeout | undefined;

  function run(): void {
    runningSince = performance.now();
    timer = setTimeout(() => {
      timer = undefined;
      armed = false;
      onFire();
    }, remainingMs);
  }

  function halt(): void {
    clearTimeout(timer);
    timer = undefined;
  }

  return {
    start() {
      halt();
      armed = true;
      remainingMs = delayMs;
      if (!paused) run();
    },
    clear() {
      halt();
      armed = false;
    },
    pause() {
      if (paused) return;
      paused = true;
      if (timer === undefined) return;
      halt();
      remainingMs = Math.max(0, remainingMs - (performance.now() - runningSince));
    },
    resume() {
      if (!paused) return;
      paused = false;
      if (armed) run();
    },
    get armed() {
      return armed;
    },
  };
}

import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { ByteBudget } from '../net/byte-budget.ts';

// Back-pressure for one connection: reading pauses while its peer is not reading our replies,
// while it has maxInFlightPerConnection frames unanswered, or while the byte budget shared by
// every connection and the HTTPS door is full. Its bytes count against that budget from the first
// buffered byte of a frame until the frame's reply is written (or the connection closes).

export type PauseReason = 'peer-not-reading' | 'in-flight-limit' | 'byte-budget';

export type BackPressureDeps = {
  socket: Socket;
  budget: ByteBudget;
  maxInFlight: number;
  log: Logger;
  /** Payload bytes held now: of the frame being read, and of frames received and not answered. */
  held(): { arriving: number; whole: number };
  unanswered(): number;
  peerNotReading(): boolean;
  /** The budget may let this connection read again (or wants it to stop). */
  onBudgetChange(): void;
  /** Reading paused (with why) or resumed (null). */
  onPause(reason: PauseReason | null): void;
};

export type BackPressure = {
  /** After any progress: reports what is held, then pauses or resumes reading (only while `reading`). */
  update(reading: boolean): void;
  readonly pausedFor: PauseReason | null;
  /** The connection closed: gives back its bytes. */
  close(): void;
};

export function createBackPressure(deps: BackPressureDeps): BackPressure {
  const account = deps.budget.openAccount(deps.onBudgetChange);
  let pausedFor: PauseReason | null = null;

  function reasonNow(): PauseReason | null {
    if (deps.peerNotReading()) return 'peer-not-reading'; // starting more would only buffer more replies here
    if (deps.unanswered() >= deps.maxInFlight) return 'in-flight-limit';
    return account.mayRead() ? null : 'byte-budget';
  }

  return {
    update(reading) {
      const { arriving, whole } = deps.held();
      account.hold(arriving, whole);
      if (!reading) return; // stopping: the closer owns the socket now
      const reason = reasonNow();
      if (reason === pausedFor) return;
      if (reason === 'byte-budget') deps.log.debug({ used: deps.budget.used, limit: deps.budget.limit }, 'MLLP reading paused: maxInFlightBytes reached');
      else if (pausedFor === 'byte-budget' && reason === null) deps.log.debug('MLLP reading resumed: byte budget available');
      pausedFor = reason;
      if (reason === null) deps.socket.resume();
      else deps.socket.pause();
      deps.onPause(reason);
    },
    get pausedFor() {
      return pausedFor;
    },
    close: () => account.close(),
  };
}

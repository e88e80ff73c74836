// Readiness: can this instance take messages right now? The store must answer a ping, and each
// enabled door must be listening. A door that is configured off counts as ready ("disabled").
// Processing never makes an instance not ready: its backlog lives in the shared database, so every
// instance would leave the balancer at once and ingest would stop too. A backlog older than
// processing.maxLagSeconds reports `degraded` (still 200, `degraded: true`), for alerting.

export type CheckStatus = 'up' | 'down' | 'disabled';

/** unknown: the backlog could not be read in time (the store check says why). */
export type ProcessingCheck = 'up' | 'degraded' | 'unknown' | 'disabled';

export type Readiness = {
  ready: boolean;
  /** Ready, but something needs an operator (processing behind). */
  degraded: boolean;
  checks: { store: CheckStatus; mllp: CheckStatus; https: CheckStatus; processing: ProcessingCheck };
};

export type ReadinessProbes = {
  /** Rejects when the database cannot be reached. */
  pingStore(): Promise<void>;
  /** null when the door is disabled, else whether it is listening. */
  mllpListening(): boolean | null;
  httpsListening(): boolean | null;
  /**
   * Processing on: the age in seconds of the oldest waiting event (null: none waits), and the most
   * it may be (processing.maxLagSeconds). Absent: processing is disabled.
   */
  processing?: { oldestWaitingSeconds(): Promise<number | null>; maxLagSeconds: number };
  /** A ping that has not answered in this time counts as down (a stalled network never answers). */
  timeoutMs: number;
};

export async function checkReadiness(probes: ReadinessProbes): Promise<Readiness> {
  const [pinged, processing] = await Promise.all([
    answersWithin(probes.pingStore, probes.timeoutMs),
    processingStatus(probes.processing, probes.timeoutMs),
  ]);
  const store = pinged ? 'up' : 'down';
  // Without the store, a backlog figure (possibly cached) says nothing.
  const backlog = !pinged && processing !== 'disabled' ? 'unknown' : processing;
  const checks = { store, mllp: doorStatus(probes.mllpListening()), https: doorStatus(probes.httpsListening()), processing: backlog } as const;
  const doors = [checks.store, checks.mllp, checks.https];
  return { ready: doors.every((status) => status !== 'down'), degraded: backlog === 'degraded', checks };
}

function doorStatus(listening: boolean | null): CheckStatus {
  if (listening === null) return 'disabled';
  return listening ? 'up' : 'down';
}

async function processingStatus(probe: ReadinessProbes['processing'], timeoutMs: number): Promise<ProcessingCheck> {
  if (probe === undefined) return 'disabled';
  const age = await within(probe.oldestWaitingSeconds(), timeoutMs);
  if (age === timedOut) return 'unknown';
  return age !== null && age > probe.maxLagSeconds ? 'degraded' : 'up';
}

async function answersWithin(ping: () => Promise<void>, timeoutMs: number): Promise<boolean> {
  return (await within(ping().then(() => true), timeoutMs)) === true;
}

const timedOut: unique symbol = Symbol('timed out or failed');

/** The value, or `timedOut` when the promise rejects or does not settle within `timeoutMs`. */
async function within<T>(work: Promise<T>, timeoutMs: number): Promise<T | typeof timedOut> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<typeof timedOut>((resolve) => {
    timer = setTimeout(() => resolve(timedOut), timeoutMs);
  });
  const settled = work.catch((): typeof timedOut => timedOut);
  try {
    return await Promise.race([settled, late]);
  } finally {
    clearTimeout(timer);
  }
}

// Readiness: can this instance take messages right now? The store must answer a ping, and each
// enabled door must be listening. A door that is configured off counts as ready ("disabled").

export type CheckStatus = 'up' | 'down' | 'disabled';

export type Readiness = {
  ready: boolean;
  checks: { store: CheckStatus; mllp: CheckStatus; https: CheckStatus };
};

export type ReadinessProbes = {
  /** Rejects when the database cannot be reached. */
  pingStore(): Promise<void>;
  /** null when the door is disabled, else whether it is listening. */
  mllpListening(): boolean | null;
  httpsListening(): boolean | null;
  /** A ping that has not answered in this time counts as down (a stalled network never answers). */
  timeoutMs: number;
};

export async function checkReadiness(probes: ReadinessProbes): Promise<Readiness> {
  const store = (await answersWithin(probes.pingStore, probes.timeoutMs)) ? 'up' : 'down';
  const checks = { store, mllp: doorStatus(probes.mllpListening()), https: doorStatus(probes.httpsListening()) } as const;
  return { ready: Object.values(checks).every((status) => status !== 'down'), checks };
}

function doorStatus(listening: boolean | null): CheckStatus {
  if (listening === null) return 'disabled';
  return listening ? 'up' : 'down';
}

async function answersWithin(ping: () => Promise<void>, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  const pinged = ping().then(
    () => true,
    () => false,
  );
  try {
    return await Promise.race([pinged, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

// Processing yields to ingest (docs/processing.md, "When ingest is saturated"). Both share one
// database and, on a small machine, its cores: a claim's writes lengthen the commits senders wait on
// for their ACK. While the store's ingest commits run back to back (busy for `busyAt` of the last
// quarter second), every claim this instance makes is followed by a rest, so that claims take at most
// `share` of the time: a claim that took 10 ms with a share of 0.1 holds the next one back 90 ms.
// The backlog grows while senders are served first, and each claim then finds more events per lane
// (cheaper per event); once ingest eases, processing runs at full speed again. A rest never exceeds
// maxRestMs, so processing always moves. And yielding never ages the backlog past maxLagMs
// (processing.maxLagSeconds, where /health/ready reports processing degraded): while the oldest
// event of the last claim had waited longer, processing does not yield. The busy share cannot tell
// senders that resend as fast as ACKs come back (yielding raises their rate) from a feed at a fixed
// rate (yielding only adds lag); on slow storage it crosses busyAt well below saturation.

/**
 * Ingest counts as saturated from this commit busy share (over each of the last two quarter seconds,
 * busy-meter.ts). Measured on a 2-vCPU VM with processing on: 0.83-1.0 with 32 senders waiting on
 * their ACKs, 0.3-0.6 at a steady 2,000 msg/s, up to 0.8 while that load starts (bench/processing.ts).
 */
export const saturatedAt = 0.85;
/** The longest single rest (the lag it may add): processing claims at least twice a second, whatever ingest does. */
export const longestRestMs = 500;

export type IngestYieldOptions = {
  /** Share of the time claims may take while ingest is saturated; 1 never yields. */
  share: number;
  /** The commit busy share (0..1) from which ingest counts as saturated; saturatedAt by default. */
  busyAt?: number;
  /** The longest single rest; longestRestMs by default. */
  maxRestMs?: number;
  /** No yielding while the last claim's oldest event had waited longer than this; none by default. */
  maxLagMs?: number;
};

export type IngestYield = {
  /** Ingest is saturated now: claims are kept small (lane-budget.ts, claimLimit). */
  yielding(): boolean;
  /** How long the next claim waits (0: go). */
  restMs(now?: number): number;
  /** A claim's work (claim to recorded outcome) took `ms`; while ingest is saturated, it earns a rest. */
  spent(ms: number, now?: number): void;
  /** A claim was made whose oldest event had waited `ms` since it was received (oldestWaitMs). */
  claimed(ms: number): void;
};

export function createIngestYield(
  busyShare: (() => number) | undefined,
  options: IngestYieldOptions,
  clock: () => number = () => performance.now(),
): IngestYield {
  const { share, busyAt = saturatedAt, maxRestMs = longestRestMs, maxLagMs = Infinity } = options;
  let restUntil = 0;
  let lagMs = 0;
  const yielding = (): boolean => busyShare !== undefined && share < 1 && lagMs <= maxLagMs && busyShare() >= busyAt;
  return {
    yielding,
    claimed(ms) {
      lagMs = ms;
      // Behind by more than the bound: the rest already earned is dropped too.
      if (ms > maxLagMs) restUntil = 0;
    },
    restMs(now = clock()) {
      return Math.max(0, restUntil - now);
    },
    spent(ms, now = clock()) {
      if (!yielding()) return;
      const rest = (ms * (1 - share)) / share;
      restUntil = Math.min(now + maxRestMs, Math.max(restUntil, now) + rest);
    },
  };
}

/** Waits out the rest the last claims earned, or less when `stopped` settles; returns the seconds waited. */
export async function restBeforeClaim(y: IngestYield, stopped: Promise<void>): Promise<number> {
  const rest = y.restMs();
  if (rest <= 0) return 0;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([stopped, new Promise<void>((resolve) => (timer = setTimeout(resolve, rest)))]);
  clearTimeout(timer);
  return rest / 1000;
}

/** How long the longest-waiting of these events has waited, in ms (0 for none). */
export function oldestWaitMs(events: readonly { receivedAt: Date }[], now: number = Date.now()): number {
  let oldest = now;
  for (const event of events) oldest = Math.min(oldest, event.receivedAt.getTime());
  return Math.max(0, now - oldest);
}

import { describe, expect, it } from 'vitest';
import { createIngestYield, oldestWaitMs } from './ingest-yield.ts';

const options = { share: 0.25, busyAt: 0.8, maxRestMs: 1000, maxLagMs: 5000 };

/** Each case: the commit busy share, then claims as [at ms, took ms, oldest event's wait ms]; the rest read at `readAt`. */
type Case = { name: string; busy: number | undefined; share?: number; claims: [number, number, number?][]; readAt: number; rest: number; yielding?: boolean };

const cases: Case[] = [
  { name: 'ingest quiet: no rest', busy: 0.4, claims: [[0, 10]], readAt: 0, rest: 0 },
  { name: 'ingest saturated: three times the claim (share 0.25)', busy: 0.95, claims: [[0, 10]], readAt: 0, rest: 30 },
  { name: 'the rest runs out with time', busy: 0.95, claims: [[0, 10]], readAt: 20, rest: 10 },
  { name: 'claims that end together add up', busy: 0.95, claims: [[0, 10], [0, 10]], readAt: 0, rest: 60 },
  { name: 'a rest never exceeds maxRestMs', busy: 1, claims: [[0, 400], [0, 400]], readAt: 0, rest: 1000 },
  { name: 'a share of 1 never yields', busy: 1, share: 1, claims: [[0, 10]], readAt: 0, rest: 0 },
  { name: 'a store that does not measure: no rest', busy: undefined, claims: [[0, 10]], readAt: 0, rest: 0 },
  { name: 'at the threshold counts as saturated', busy: 0.8, claims: [[0, 10]], readAt: 0, rest: 30 },
  { name: 'a claim within maxLagMs: yields', busy: 0.95, claims: [[0, 10, 5000]], readAt: 0, rest: 30 },
  { name: 'a claim behind by more than maxLagMs: no rest, not yielding', busy: 0.95, claims: [[0, 10, 5001]], readAt: 0, rest: 0, yielding: false },
  { name: 'falling behind drops the rest already earned', busy: 0.95, claims: [[0, 10], [0, 10, 9000]], readAt: 0, rest: 0, yielding: false },
  { name: 'caught up again: yields again', busy: 0.95, claims: [[0, 10, 9000], [0, 10, 100]], readAt: 0, rest: 30 },
];

describe('ingest yield', () => {
  it.each(cases)('$name', ({ busy, share, claims, readAt, rest, yielding }) => {
    const y = createIngestYield(busy === undefined ? undefined : () => busy, { ...options, share: share ?? options.share }, () => 0);
    for (const [at, took, waited] of claims) {
      // As the engine does: the claim's oldest wait is known when it is made, the time it took after.
      if (waited !== undefined) y.claimed(waited);
      y.spent(took, at);
    }
    expect(y.restMs(readAt)).toBeCloseTo(rest, 6);
    expect(y.yielding()).toBe(yielding ?? (busy !== undefined && (share ?? options.share) < 1 && busy >= options.busyAt));
  });
});

describe('oldestWaitMs', () => {
  const at = (iso: string): { receivedAt: Date } => ({ receivedAt: new Date(iso) });
  const now = Date.parse('2026-12-03T08:00:10Z');
  it.each([
    { name: 'no events', events: [], ms: 0 },
    { name: 'the longest wait of several', events: [at('2026-12-03T08:00:09Z'), at('2026-12-03T08:00:00Z'), at('2026-12-03T08:00:05Z')], ms: 10_000 },
    { name: 'a time ahead of this clock counts as no wait', events: [at('2026-12-03T08:00:11Z')], ms: 0 },
  ])('$name', ({ events, ms }) => expect(oldestWaitMs(events, now)).toBe(ms));
});

import { describe, expect, it } from 'vitest';
import { createIngestYield } from './ingest-yield.ts';

const options = { share: 0.25, busyAt: 0.8, maxRestMs: 1000 };

/** Each case: the commit busy share, then claims as [at ms, took ms]; the rest read at `readAt`. */
type Case = { name: string; busy: number | undefined; share?: number; claims: [number, number][]; readAt: number; rest: number };

const cases: Case[] = [
  { name: 'ingest quiet: no rest', busy: 0.4, claims: [[0, 10]], readAt: 0, rest: 0 },
  { name: 'ingest saturated: three times the claim (share 0.25)', busy: 0.95, claims: [[0, 10]], readAt: 0, rest: 30 },
  { name: 'the rest runs out with time', busy: 0.95, claims: [[0, 10]], readAt: 20, rest: 10 },
  { name: 'claims that end together add up', busy: 0.95, claims: [[0, 10], [0, 10]], readAt: 0, rest: 60 },
  { name: 'a rest never exceeds maxRestMs', busy: 1, claims: [[0, 400], [0, 400]], readAt: 0, rest: 1000 },
  { name: 'a share of 1 never yields', busy: 1, share: 1, claims: [[0, 10]], readAt: 0, rest: 0 },
  { name: 'a store that does not measure: no rest', busy: undefined, claims: [[0, 10]], readAt: 0, rest: 0 },
  { name: 'at the threshold counts as saturated', busy: 0.8, claims: [[0, 10]], readAt: 0, rest: 30 },
];

describe('ingest yield', () => {
  it.each(cases)('$name', ({ busy, share, claims, readAt, rest }) => {
    const y = createIngestYield(busy === undefined ? undefined : () => busy, { ...options, share: share ?? options.share }, () => 0);
    for (const [at, took] of claims) y.spent(took, at);
    expect(y.restMs(readAt)).toBeCloseTo(rest, 6);
    expect(y.yielding()).toBe(busy !== undefined && (share ?? options.share) < 1 && busy >= options.busyAt);
  });
});

import { describe, expect, it, vi } from 'vitest';
import type { MetricsTotals } from '../metrics/metrics.ts';
import type { ProcessingStats } from '../processing/control.ts';
import { overviewViewSchema } from './api.ts';
import { OverviewSampler, type OverviewSources, type StoreHealth } from './overview-sampler.ts';
import { pointBetween, Ring, seriesOf, type Reading } from './overview-series.ts';

const reading = (at: number, received: number, extra: Partial<Reading> = {}): Reading => ({
  at,
  received,
  refused: 0,
  byType: {},
  byAck: {},
  processed: 0,
  open: { mllp: 0, https: 0 },
  backlog: null,
  ...extra,
});

describe('pointBetween', () => {
  it.each([
    ['10 messages in 5 s', reading(0, 0), reading(5_000, 10), 2],
    ['none', reading(0, 7), reading(5_000, 7), 0],
    ['a counter that went down counts 0, never negative', reading(0, 9), reading(5_000, 3), 0],
    ['an uneven interval', reading(0, 0), reading(2_500, 10), 4],
    ['a third', reading(0, 0), reading(3_000, 1), 0.333],
  ])('rates per second: %s', (_what, before, now, expected) => {
    expect(pointBetween(before, now).receivedPerSecond).toBe(expected);
  });

  it('rates each label from its own delta; a label new since the reading before counts from 0', () => {
    const point = pointBetween(
      reading(0, 0, { byType: { ADT: 10 }, byAck: { AA: 10 } }),
      reading(10_000, 0, { byType: { ADT: 30, ORU: 5 }, byAck: { AA: 30, AE: 5 } }),
    );
    expect(point.byType).toEqual({ ADT: 2, ORU: 0.5 });
    expect(point.byAck).toEqual({ AA: 2, AE: 0.5 });
  });

  it('takes gauges as they are now, 0 when the backlog is unknown', () => {
    const now = reading(5_000, 0, { open: { mllp: 3, https: 1 }, backlog: { waiting: 4, failed: 2, oldestWaitingSeconds: 9 } });
    expect(pointBetween(reading(0, 0), now)).toMatchObject({ t: 5, open: { mllp: 3, https: 1 }, backlog: 4, failed: 2, oldestWaitingSeconds: 9 });
    expect(pointBetween(reading(0, 0), reading(5_000, 0))).toMatchObject({ backlog: 0, failed: 0, oldestWaitingSeconds: 0 });
  });
});

describe('Ring', () => {
  it.each([
    [3, [1, 2], [1, 2]],
    [3, [1, 2, 3], [1, 2, 3]],
    [3, [1, 2, 3, 4, 5], [3, 4, 5]],
    [1, [1, 2], [2]],
  ])('capacity %i after pushing %j holds %j, oldest first', (capacity, pushed, held) => {
    const ring = new Ring<number>(capacity);
    for (const n of pushed) ring.push(n);
    expect(ring.toArray()).toEqual(held);
  });

  it('keeps one hour of 5-second samples', () => {
    const ring = new Ring<number>(720);
    for (let n = 0; n < 1000; n++) ring.push(n);
    const held = ring.toArray();
    expect(held).toHaveLength(720);
    expect(held[0]).toBe(280);
    expect(held.at(-1)).toBe(999);
  });
});

describe('seriesOf', () => {
  it('aligns labels across points, 0 where a label was not seen yet', () => {
    const a = pointBetween(reading(0, 0), reading(5_000, 5, { byType: { ADT: 5 } }));
    const b = pointBetween(reading(5_000, 5, { byType: { ADT: 5 } }), reading(10_000, 15, { byType: { ADT: 10, ORU: 5 } }));
    const series = seriesOf([a, b]);
    expect(series.t).toEqual([5, 10]);
    expect(series.receivedPerSecond).toEqual([1, 2]);
    expect(series.byType).toEqual({ ADT: [1, 1], ORU: [0, 1] });
  });
});

/** Totals the test moves by hand, a clock it sets, a backlog it chooses. */
function fakeSources(options: { processing?: boolean; stats?: () => Promise<ProcessingStats> } = {}) {
  const totals: MetricsTotals = { received: 0, refused: 0, byType: {}, byAck: {}, finished: {} };
  const now = { value: Date.parse('2026-03-01T10:00:00Z') };
  const store: { health: StoreHealth } = { health: { state: 'unknown', detail: null } };
  const sources: OverviewSources = {
    totals: () => structuredClone(totals),
    openConnections: async () => ({ mllp: 2, https: 1 }),
    processingStats: options.stats ?? null,
    processing: { enabled: options.processing ?? false, maxLagSeconds: 60 },
    storeHealth: () => store.health,
  };
  return { totals, now, store, sources, clock: () => now.value };
}

const stats = (waiting: number, oldest: number): ProcessingStats => ({
  counts: { received: waiting, processing: 0, failed: 1 },
  oldestWaiting: waiting === 0 ? null : { id: 1, receivedAt: new Date(0), ageSeconds: oldest },
  blocked: { count: 1, lanes: [] },
});

describe('OverviewSampler', () => {
  it('turns the deltas between samples into rates, by type and ACK code, with the totals since start', async () => {
    const f = fakeSources();
    const sampler = new OverviewSampler({ sources: f.sources, clock: f.clock });
    Object.assign(f.totals, { received: 10, refused: 1, byType: { ADT: 9, other: 1 }, byAck: { AA: 9, AE: 1 }, finished: { processed: 5 } });
    f.now.value += 5_000;
    await sampler.sample();
    Object.assign(f.totals, { received: 20, byType: { ADT: 19, other: 1 }, byAck: { AA: 19, AE: 1 } });
    f.now.value += 5_000;
    await sampler.sample();
    const view = overviewViewSchema.parse(sampler.view());
    expect(view.intervalSeconds).toBe(5);
    expect(view.sampledAt).toBe('2026-03-01T10:00:10.000Z');
    expect(view.series.t).toEqual([Date.parse('2026-03-01T10:00:05Z') / 1000, Date.parse('2026-03-01T10:00:10Z') / 1000]);
    expect(view.series.receivedPerSecond).toEqual([2, 2]);
    expect(view.series.refusedPerSecond).toEqual([0.2, 0]);
    expect(view.series.byType).toEqual({ ADT: [1.8, 2], other: [0.2, 0] });
    expect(view.series.byAck).toEqual({ AA: [1.8, 2], AE: [0.2, 0] });
    expect(view.series.processedPerSecond).toEqual([1, 0]);
    expect(view.series.openConnections).toEqual({ mllp: [2, 2], https: [1, 1] });
    expect(view.totals).toEqual({ received: 20, refused: 1, byAck: { AA: 19, AE: 1 } });
    expect(view.processing).toEqual({ state: 'disabled', counts: {}, blockedLanes: 0 });
    expect(view.store).toEqual({ state: 'unknown', detail: null });
  });

  it('keeps at most `capacity` points', async () => {
    const f = fakeSources();
    const sampler = new OverviewSampler({ sources: f.sources, clock: f.clock, capacity: 3 });
    for (let n = 1; n <= 5; n++) {
      f.totals.received = n * 5;
      f.now.value += 5_000;
      await sampler.sample();
    }
    expect(sampler.view().series.t).toHaveLength(3);
  });

  it.each([
    ['up: the oldest waiting event is within processing.maxLagSeconds', 10, 'up'],
    ['degraded: it is older', 61, 'degraded'],
  ] as const)('reports the backlog from the stats cache, %s', async (_what, oldest, state) => {
    const f = fakeSources({ processing: true, stats: async () => stats(4, oldest) });
    const sampler = new OverviewSampler({ sources: f.sources, clock: f.clock });
    f.now.value += 5_000;
    await sampler.sample();
    const view = sampler.view();
    expect(view.processing).toEqual({ state, counts: { received: 4, processing: 0, failed: 1 }, blockedLanes: 1 });
    expect(view.series).toMatchObject({ backlog: [4], failed: [1], oldestWaitingSeconds: [oldest] });
    expect(view.store).toEqual({ state: 'up', detail: null });
  });

  it('reports the store down and processing unknown when the backlog cannot be read', async () => {
    const f = fakeSources({ processing: true, stats: () => Promise.reject(Object.assign(new Error('connect ECONNREFUSED db:3306'), { name: 'StoreUnavailableError' })) });
    const sampler = new OverviewSampler({ sources: f.sources, clock: f.clock });
    await sampler.sample();
    const view = sampler.view();
    expect(view.store).toEqual({ state: 'down', detail: 'the processing backlog could not be read (StoreUnavailableError)' });
    expect(view.processing.state).toBe('unknown');
  });

  it("passes on the readiness probe's last word when processing is off", async () => {
    const f = fakeSources();
    f.store.health = { state: 'down', detail: 'the store did not answer the last readiness check' };
    const sampler = new OverviewSampler({ sources: f.sources, clock: f.clock });
    expect(sampler.view().store).toEqual(f.store.health);
  });

  it('samples on its own timer once started, and not after stop()', async () => {
    vi.useFakeTimers();
    try {
      const f = fakeSources();
      const sampler = new OverviewSampler({ sources: f.sources, clock: f.clock, intervalMs: 5_000 });
      sampler.start();
      await vi.advanceTimersByTimeAsync(10_000);
      expect(sampler.view().series.t).toHaveLength(2);
      await sampler.stop();
      await vi.advanceTimersByTimeAsync(10_000);
      expect(sampler.view().series.t).toHaveLength(2);
    } finally {
      vi.useRealTimers();
    }
  });
});

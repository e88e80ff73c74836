import { describe, expect, it } from 'vitest';
import { adaptLanes, claimLimit, firstPlan, minLanes, nextPlan } from './lane-budget.ts';

const claimOf = (lanes: number, events: number, deepLanes: number) => ({
  lanes: Array.from({ length: lanes }, (_, i) => `L${i}`),
  events: Array.from({ length: events }, () => ({})) as never[],
  deepLanes,
});

describe('the lane budget of ordered claims', () => {
  const cases = [
    { name: 'halves while most lanes came back full', current: 100, claim: claimOf(100, 100, 80), next: 50 },
    { name: 'never goes under a sixteenth of the batch', current: 7, claim: claimOf(7, 100, 7), next: minLanes(100) },
    { name: 'doubles while claims come back less than half full', current: 7, claim: claimOf(7, 30, 1), next: 14 },
    { name: 'never goes over the batch size', current: 80, claim: claimOf(20, 20, 0), next: 100 },
    { name: 'stays while claims fill from shallow lanes', current: 100, claim: claimOf(90, 95, 10), next: 100 },
    { name: 'halves on a short claim whose lanes were deep (one lane took the shallow read)', current: 100, claim: claimOf(1, 1, 1), next: 50 },
  ];
  it.each(cases)('$name', ({ current, claim, next }) => {
    expect(adaptLanes(current, 100, claim)).toBe(next);
  });

  it('aims for sixteen events a lane at the least', () => {
    expect([1, 16, 17, 100, 1000].map(minLanes)).toEqual([1, 1, 2, 7, 63]);
  });
});

describe('the plan of the next ordered claim', () => {
  const cases = [
    { name: 'adapts the lanes and reads lane by lane after a deep lane', wide: false, claim: claimOf(100, 100, 80), next: { lanes: 50, deep: true } },
    { name: 'reads in one range after a claim with no deep lane', wide: false, claim: claimOf(90, 95, 0), next: { lanes: 100, deep: false } },
    { name: 'keeps every lane for a sink with wide calls', wide: true, claim: claimOf(100, 100, 80), next: { lanes: 100, deep: true } },
  ];
  it.each(cases)('$name', ({ wide, claim, next }) => {
    expect(nextPlan(firstPlan(100), 100, claim, wide)).toEqual(next);
  });
});

describe('the size of the next claim', () => {
  const cases = [
    { name: 'batchSize by default', batchSize: 500, parallelWide: false, yielding: false, limit: 500 },
    { name: 'at most 100 in parallel with a wideCalls sink', batchSize: 500, parallelWide: true, yielding: false, limit: 100 },
    { name: 'at most 100 while yielding to ingest', batchSize: 500, parallelWide: false, yielding: true, limit: 100 },
    { name: 'both', batchSize: 500, parallelWide: true, yielding: true, limit: 100 },
    { name: 'never more than batchSize', batchSize: 40, parallelWide: true, yielding: true, limit: 40 },
  ];
  it.each(cases)('$name', ({ batchSize, parallelWide, yielding, limit }) => {
    expect(claimLimit(batchSize, { parallelWide, yielding })).toBe(limit);
  });
});

import type { Claim } from './claim-steps.ts';

// How many lanes an ordered claim leases. Each lane costs its lock, its head read and two lease
// writes, whatever it holds: with one event per lane (a shallow backlog, the steady state) a claim
// needs many lanes to fill; with a deep backlog (a burst, a restart after an outage) a few lanes fill
// it, and the lane work per event drops by the events each lane brings (bench/claim-profile.ts).

/** The fewest lanes a claim of `batchSize` aims for: each then brings up to 16 events. */
export const minLanes = (batchSize: number): number => Math.max(1, Math.ceil(batchSize / 16));

/** What the next ordered claim asks for: how many lanes, and whether to read their heads lane by lane. */
export type LanePlan = { lanes: number; deep: boolean };

/** The first claim: every lane it may take, read lane by lane (safe whatever the lanes hold). */
export const firstPlan = (batchSize: number): LanePlan => ({ lanes: batchSize, deep: true });

/**
 * After a claim: the lane budget adapts (adaptLanes) unless a routed sink has wideCalls (each call is
 * one event per lane unless it holds whole lanes: it stays at batchSize); heads are read in one
 * range only after a claim with no deep lane (a deep lane first in key order would take that read's
 * whole LIMIT).
 */
export function nextPlan(plan: LanePlan, batchSize: number, claim: Pick<Claim, 'lanes' | 'events' | 'deepLanes'>, wideCalls: boolean): LanePlan {
  return { lanes: wideCalls ? plan.lanes : adaptLanes(plan.lanes, batchSize, claim), deep: claim.deepLanes > 0 };
}

/**
 * The next claim's lane budget from what this claim found: halved while most of its lanes were deep
 * (more waited behind what each could bring), doubled while the claim came back less than half full.
 */
export function adaptLanes(current: number, batchSize: number, claim: Pick<Claim, 'lanes' | 'events' | 'deepLanes'>): number {
  const lanes = claim.lanes.length;
  if (lanes > 0 && claim.deepLanes * 2 >= lanes) return Math.max(minLanes(batchSize), Math.floor(current / 2));
  if (claim.events.length * 2 < batchSize) return Math.min(batchSize, current * 2);
  return current;
}

/** The largest parallel claim when a routed sink has wideCalls (see claimLimit). */
export const parallelWideClaim = 100;
/** The largest claim while processing yields to ingest (ingest-yield.ts). */
export const yieldingClaim = 100;

/**
 * Events the next claim takes at most: batchSize, less in two cases.
 * - parallel with a wideCalls sink: one patient's events land in several workers' claims at once,
 *   and a sink that writes a claim in large transactions (fhir) makes them wait on each other's row
 *   locks. Measured (fhir, ADT): 1,594-1,763 events/s with claims of 100, 544-1,125 with 500.
 * - while yielding to ingest: a rest is a multiple of the claim before it, so short claims keep
 *   each rest short (the lag it adds) and spread processing's share evenly.
 */
export function claimLimit(batchSize: number, o: { parallelWide: boolean; yielding: boolean }): number {
  let limit = batchSize;
  if (o.parallelWide) limit = Math.min(limit, parallelWideClaim);
  if (o.yielding) limit = Math.min(limit, yieldingClaim);
  return limit;
}

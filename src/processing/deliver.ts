import type { ProcessingConfig, ProcessingRoute, SinkName } from '../config/schema.ts';
import type { ProcessingObserver } from './observer.ts';
import { isExhausted, retryDelayMs } from './retry.ts';
import { matchRoute, type RouteMatch } from './routes.ts';
import type { Sink, SinkCall, SinkOutput, SinkResult } from './sink.ts';
import type { ClaimedEvent, Outcome } from './claim-steps.ts';

// One claim through its routes and sinks: the outcome of every event. In ordered modes a sink call
// holds at most one event per lane (round n holds every lane's n-th event), so an event takes effect
// only after the one before it in its lane succeeded at every sink; at a failure the lane stops and
// its later events of this claim are released (they wait again, behind the failed one). A claim of
// many lanes still makes large sink calls; `sequential` (one lane) makes one call per event. When
// every routed sink keeps order within a call (Sink.keepsOrder), a call holds the claim's lanes
// whole, in lane order: the sink itself reports everything after a failure as failed.

export type DeliverContext = {
  routes: readonly ProcessingRoute[];
  sinks: ReadonlyMap<SinkName, Sink>;
  retry: ProcessingConfig['retry'];
  /** Lanes keep order (every mode but parallel). */
  ordered: boolean;
  /** Every routed sink keeps order within a call (Sink.keepsOrder): a call may hold whole lanes. */
  wholeLanes: boolean;
  observer: ProcessingObserver;
  random: () => number;
  /** True once the claim's lease was lost: nothing more is delivered. */
  lost: () => boolean;
};

type Routed = { event: ClaimedEvent; route: ProcessingRoute; upstream: Map<SinkName, SinkOutput> };
/** An event with its route, matched once per claim. */
type Matched = { event: ClaimedEvent; match: RouteMatch };

/**
 * The calls' rounds. Parallel: one round with every event. Ordered: round n holds the n-th event of
 * every lane; with whole lanes (the sinks keep order within a call), the n-th run of the lane's
 * consecutive events that go to the same route (usually the whole lane), so a lane's events still
 * take effect in id order across routes. Within a round, each lane's events stay in id order.
 */
function roundsOf(items: readonly Matched[], ordered: boolean, wholeLanes: boolean): Matched[][] {
  if (!ordered) return [[...items]];
  const lanes = new Map<string, Matched[][]>();
  for (const item of items) {
    const runs = lanes.get(item.event.orderingKey) ?? [];
    const last = runs.at(-1);
    if (wholeLanes && last?.[0] !== undefined && last[0].match.route === item.match.route) last.push(item);
    else runs.push([item]);
    lanes.set(item.event.orderingKey, runs);
  }
  const rounds: Matched[][] = [];
  for (const runs of lanes.values()) runs.forEach((run, n) => (rounds[n] ??= []).push(...run));
  return rounds;
}

async function callSink(sink: Sink | undefined, name: SinkName, batch: readonly Routed[], call: SinkCall): Promise<SinkResult[]> {
  const transient = (error: string): SinkResult[] => batch.map(() => ({ ok: false, permanent: false, error }));
  if (sink === undefined) return transient(`sink ${name} is not configured`);
  try {
    const results = await sink.deliver(
      batch.map((r) => ({ ...r.event, upstream: r.upstream })),
      call,
    );
    return results.length === batch.length ? results : transient(`sink ${name} answered ${results.length} results for ${batch.length} events`);
  } catch (err) {
    return transient(`sink ${name} failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function failure(ctx: DeliverContext, event: ClaimedEvent, sink: SinkName, result: { permanent: boolean; error: string }): Outcome {
  const attempts = event.attempts + 1;
  if (result.permanent) return { kind: 'failed', error: `${sink}: ${result.error}`, attempts };
  if (isExhausted(ctx.retry, attempts)) return { kind: 'failed', error: `${sink}: ${result.error} (gave up after ${attempts} attempts)`, attempts };
  ctx.observer.retrying(sink);
  return { kind: 'retry', error: `${sink}: ${result.error}`, attempts, delayMs: retryDelayMs(ctx.retry, attempts, ctx.random()) };
}

/** Runs one route's sinks in order over `group`; returns the events every sink took. */
async function runRoute(
  ctx: DeliverContext,
  route: ProcessingRoute,
  group: Routed[],
  failed: (r: Routed, sink: SinkName, result: { permanent: boolean; error: string }) => void,
  notReady: (r: Routed) => void,
): Promise<Routed[]> {
  let alive = group;
  for (const name of route.sinks) {
    if (alive.length === 0 || ctx.lost()) return [];
    // Not ready (a broker away): nothing is attempted, the events wait as they were (no attempt spent).
    if (ctx.sinks.get(name)?.ready?.() === false) {
      for (const r of alive) notReady(r);
      return [];
    }
    const started = performance.now();
    const results = await callSink(ctx.sinks.get(name), name, alive, { ordered: ctx.ordered });
    const counts = { ok: 0, transient: 0, permanent: 0 };
    const next: Routed[] = [];
    alive.forEach((r, i) => {
      const result = results[i] ?? { ok: false, permanent: false, error: 'no result' };
      if (result.ok) {
        counts.ok += 1;
        if (result.output) r.upstream.set(name, result.output);
        next.push(r);
      } else {
        counts[result.permanent ? 'permanent' : 'transient'] += 1;
        failed(r, name, result);
      }
    });
    ctx.observer.delivered(name, counts, (performance.now() - started) / 1000);
    alive = next;
  }
  return ctx.lost() ? [] : alive;
}

export async function deliverClaim(ctx: DeliverContext, events: readonly ClaimedEvent[]): Promise<Map<number, Outcome>> {
  const outcomes = new Map<number, Outcome>();
  /** Lanes stopped by a failure in this claim. */
  const stopped = new Set<string>();
  const matched = events.map((event) => ({ event, match: matchRoute(ctx.routes, event) }));
  for (const round of roundsOf(matched, ctx.ordered, ctx.wholeLanes)) {
    if (ctx.lost()) break;
    const byRoute = new Map<ProcessingRoute, Routed[]>();
    for (const { event, match } of round) {
      if (ctx.ordered && stopped.has(event.orderingKey)) continue;
      if (match.route === null) outcomes.set(event.id, { kind: 'skipped', reason: match.reason });
      else byRoute.set(match.route, [...(byRoute.get(match.route) ?? []), { event, route: match.route, upstream: new Map() }]);
    }
    for (const [route, group] of byRoute) {
      const done = await runRoute(
        ctx,
        route,
        group,
        (r, sink, result) => {
          // Whole lanes: what follows a failed event in its lane failed with it (Sink.keepsOrder)
          // and waits again as it was, without spending an attempt.
          if (ctx.ordered && stopped.has(r.event.orderingKey)) return;
          outcomes.set(r.event.id, failure(ctx, r.event, sink, result));
          stopped.add(r.event.orderingKey);
        },
        (r) => stopped.add(r.event.orderingKey),
      );
      for (const r of done) outcomes.set(r.event.id, { kind: 'processed' });
    }
  }
  // Whatever follows a failure in its lane, or was never reached, waits again as it was.
  for (const event of events) if (!outcomes.has(event.id)) outcomes.set(event.id, { kind: 'released' });
  return outcomes;
}

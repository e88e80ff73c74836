import type { ProcessingConfig, ProcessingRoute, SinkName } from '../config/schema.ts';
import type { ProcessingObserver } from './observer.ts';
import { isExhausted, retryDelayMs } from './retry.ts';
import { matchRoute } from './routes.ts';
import type { Sink, SinkOutput, SinkResult } from './sink.ts';
import type { ClaimedEvent, Outcome } from './claim-steps.ts';

// One claim through its routes and sinks: the outcome of every event. In ordered modes a lane stops
// at its first failure: the lane's later events of this claim are released (they wait again, behind
// the failed one). Effects a sink already applied to them are applied again later, in order: sinks
// are idempotent (sink.ts).

export type DeliverContext = {
  routes: readonly ProcessingRoute[];
  sinks: ReadonlyMap<SinkName, Sink>;
  retry: ProcessingConfig['retry'];
  /** Lanes keep order (every mode but parallel). */
  ordered: boolean;
  observer: ProcessingObserver;
  random: () => number;
  /** True once the claim's lease was lost: nothing more is delivered. */
  lost: () => boolean;
};

type Routed = { event: ClaimedEvent; route: ProcessingRoute; upstream: Map<SinkName, SinkOutput> };

/** Runs of consecutive events of one lane that take the same route; wave n holds every lane's n-th run. */
function wavesOf(routed: readonly (Routed | null)[], events: readonly ClaimedEvent[], ordered: boolean): Routed[][] {
  if (!ordered) return [routed.filter((r): r is Routed => r !== null)];
  const waves: Routed[][] = [];
  let lane: string | null = null;
  let wave = -1;
  let route: ProcessingRoute | null = null;
  events.forEach((event, i) => {
    const r = routed[i];
    if (event.orderingKey !== lane) {
      lane = event.orderingKey;
      wave = -1;
      route = null;
    }
    if (r === null || r === undefined) return;
    if (r.route !== route) {
      wave += 1;
      route = r.route;
    }
    (waves[wave] ??= []).push(r);
  });
  return waves;
}

async function callSink(sink: Sink | undefined, name: SinkName, batch: readonly Routed[]): Promise<SinkResult[]> {
  const transient = (error: string): SinkResult[] => batch.map(() => ({ ok: false, permanent: false, error }));
  if (sink === undefined) return transient(`sink ${name} is not configured`);
  if (sink.ready?.() === false) return transient(`sink ${name} is not ready`);
  try {
    const results = await sink.deliver(batch.map((r) => ({ ...r.event, upstream: r.upstream })));
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

export async function deliverClaim(ctx: DeliverContext, events: readonly ClaimedEvent[]): Promise<Map<number, Outcome>> {
  const outcomes = new Map<number, Outcome>();
  /** Lane → id of its first failed event in this claim. */
  const cutAt = new Map<string, number>();
  const isCut = (e: ClaimedEvent): boolean => ctx.ordered && (cutAt.get(e.orderingKey) ?? Infinity) < e.id;
  const routed = events.map((event): Routed | null => {
    const match = matchRoute(ctx.routes, event);
    if (match.route !== null) return { event, route: match.route, upstream: new Map() };
    outcomes.set(event.id, { kind: 'skipped', reason: match.reason });
    return null;
  });
  for (const wave of wavesOf(routed, events, ctx.ordered)) {
    const byRoute = new Map<ProcessingRoute, Routed[]>();
    for (const r of wave) byRoute.set(r.route, [...(byRoute.get(r.route) ?? []), r]);
    for (const [route, group] of byRoute) {
      let alive = group;
      for (const name of route.sinks) {
        alive = alive.filter((r) => !isCut(r.event));
        if (alive.length === 0 || ctx.lost()) break;
        const started = performance.now();
        const results = await callSink(ctx.sinks.get(name), name, alive);
        const counts = { ok: 0, transient: 0, permanent: 0 };
        const next: Routed[] = [];
        alive.forEach((r, i) => {
          const result = results[i] ?? { ok: false, permanent: false, error: 'no result' };
          if (result.ok) {
            counts.ok += 1;
            if (result.output) r.upstream.set(name, result.output);
            next.push(r);
            return;
          }
          counts[result.permanent ? 'permanent' : 'transient'] += 1;
          outcomes.set(r.event.id, failure(ctx, r.event, name, result));
          const lane = r.event.orderingKey;
          cutAt.set(lane, Math.min(cutAt.get(lane) ?? Infinity, r.event.id));
        });
        ctx.observer.delivered(name, counts, (performance.now() - started) / 1000);
        alive = next;
      }
      if (ctx.lost()) break;
      for (const r of alive) if (!isCut(r.event)) outcomes.set(r.event.id, { kind: 'processed' });
    }
  }
  // Whatever follows a failure in its lane, or was never reached, waits again as it was.
  for (const event of events) {
    const outcome = outcomes.get(event.id);
    if (outcome === undefined || (outcome.kind === 'skipped' && isCut(event)) || (outcome.kind === 'processed' && isCut(event))) {
      outcomes.set(event.id, { kind: 'released' });
    }
  }
  return outcomes;
}

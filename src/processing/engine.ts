import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { ProcessingConfig, SinkName } from '../config/schema.ts';
import { errorFields } from '../log.ts';
import { claimLanes, type Claim, type Outcome } from './claim-steps.ts';
import { claimParallel, recoverExpired } from './parallel-steps.ts';
import { claimLimit, firstPlan, nextPlan, type LanePlan } from './lane-budget.ts';
import { discoverLanes, ensureLanes } from './discover-steps.ts';
import type { StepRunner } from './claim-store.ts';
import { deliverClaim } from './deliver.ts';
import { silentObserver, type FinalState, type ProcessingObserver } from './observer.ts';
import { keyWaitingEvents, takeBackAll } from './keying-steps.ts';
import { dropFreeLanes, finishClaim, releaseClaim, renewClaim } from './outcome-steps.ts';
import { routedTraits, type Sink } from './sink.ts';
import { createIngestYield, oldestWaitMs, restBeforeClaim, type IngestYield } from './ingest-yield.ts';

// The worker loop: `concurrency` workers claim (in turns: at most two claims of an instance at once,
// see claimChains), deliver, and record outcomes. Idle workers wait pollIntervalMs or until
// wake() (this instance stored an event). No coordinator: instances share work through the claims.

export type EngineDeps = {
  config: ProcessingConfig;
  runner: StepRunner;
  sinks: ReadonlyMap<SinkName, Sink>;
  log: Logger;
  observer?: ProcessingObserver;
  /** close(): in-flight claims get this long to finish, then are given back (mllp.drainTimeoutMs). */
  drainTimeoutMs: number;
  random?: () => number;
  /** The store's ingest commit busy share (Store.commitBusyShare): processing yields while it is high. */
  ingestBusyShare?: () => number;
};

const maintenanceEveryMs = 60_000;

export class ProcessingEngine {
  readonly instanceId = `${hostname().slice(0, 24)}-${process.pid}-${randomBytes(4).toString('hex')}`;
  private readonly deps: EngineDeps;
  private stopping = false;
  private workers: Promise<void>[] = [];
  /** Claims being handled, and when each was started (for the ingest yield). */
  private readonly inFlight = new Map<Claim, number>();
  private readonly held = new Set<string>();
  private cursor = '';
  private sequence = 0;
  /**
   * Claims of this instance run in this many chains, each one claim at a time. Two overlap the round
   * trips of one claim with another's (on MariaDB a claim is latency-bound; siblings that pick the
   * same lanes skip each other's locks, SKIP LOCKED); SQLite runs every transaction to its end anyway.
   */
  private readonly claimChains: Promise<unknown>[];
  private claimTurn = 0;
  private generation = 0;
  private wakeUp: () => void = () => undefined;
  private wakeSignal = this.newSignal();
  private maintenance: NodeJS.Timeout | undefined;
  private maintaining: Promise<void> = Promise.resolve();
  private lastRecovery = 0;
  /** Lanes the next ordered claim leases and how it reads them (lane-budget.ts). */
  private lanePlan: LanePlan;
  /** A routed sink has a high cost per call (Sink.wideCalls); every one keeps order within a call (Sink.keepsOrder). */
  private readonly wideCalls: boolean;
  private readonly wholeLanes: boolean;
  private closing: Promise<void> | undefined;
  private readonly yielder: IngestYield;
  private yieldNoted = Number.NEGATIVE_INFINITY;
  private stopNow: () => void = () => undefined;
  private readonly stopped = new Promise<void>((resolve) => (this.stopNow = resolve));

  constructor(deps: EngineDeps) {
    this.deps = deps;
    this.lanePlan = firstPlan(deps.config.batchSize);
    ({ wideCalls: this.wideCalls, wholeLanes: this.wholeLanes } = routedTraits(deps.config.routes, deps.sinks));
    this.yielder = createIngestYield(deps.ingestBusyShare, { share: deps.config.shareWhileIngestBusy, maxLagMs: deps.config.maxLagSeconds * 1000 });
    this.claimChains = Array.from({ length: deps.runner.shared && deps.config.ordering !== 'sequential' ? 2 : 1 }, () => Promise.resolve());
  }

  private get ordered(): boolean {
    return this.deps.config.ordering !== 'parallel';
  }

  /** Keys waiting events for the configured ordering (re-keys them if it changed), then starts the workers. */
  async start(): Promise<void> {
    const { runner, config, log } = this.deps;
    if (!runner.shared) await runner.transact(() => takeBackAll());
    const rekeyed = await runner.transact(() => keyWaitingEvents(runner.dialect, config.ordering));
    if (rekeyed > 0) log.info({ events: rekeyed, ordering: config.ordering }, 'waiting events keyed for the configured ordering');
    const workers = config.ordering === 'sequential' ? 1 : config.concurrency;
    this.workers = Array.from({ length: workers }, () => this.work());
    this.maintenance = setInterval(() => this.maintain(), maintenanceEveryMs);
    this.maintenance.unref();
    log.info({ ordering: config.ordering, workers, instance: this.instanceId, sinks: [...this.deps.sinks.keys()] }, 'processing started');
  }

  /** New work was stored: idle workers look now instead of at their next poll. */
  /**
   * Events put back to `received` by an operator (reprocess, retry) may have no lane yet: rows stored
   * before processing existed. Keys them, then wakes the workers. The maintenance timer does the same
   * for resets made through another instance.
   */
  async adopt(): Promise<void> {
    const { runner, log } = this.deps;
    if (this.stopping) return;
    try {
      await runner.transact(() => keyWaitingEvents(runner.dialect, this.deps.config.ordering));
    } catch (err) {
      log.warn({ err: errorFields(err) }, 'keying reset events failed; the next maintenance pass tries again');
    }
    this.wake();
  }

  wake(): void {
    this.generation += 1;
    this.wakeUp();
    this.wakeSignal = this.newSignal();
  }

  private newSignal(): Promise<void> {
    return new Promise<void>((resolve) => (this.wakeUp = resolve));
  }

  private async idle(seenGeneration: number): Promise<void> {
    if (this.stopping || seenGeneration !== this.generation) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.wakeSignal, new Promise<void>((resolve) => (timer = setTimeout(resolve, this.deps.config.pollIntervalMs)))]);
    clearTimeout(timer);
  }

  private async work(): Promise<void> {
    while (!this.stopping) {
      const seen = this.generation;
      let claim: Claim | null = null;
      try {
        claim = await this.claimInTurn();
      } catch (err) {
        this.deps.log.warn({ err: errorFields(err) }, 'processing claim failed; trying again at the next poll');
      }
      // Nothing to do, or nothing could be done (every event given back: a sink not ready): wait.
      if (claim === null || !(await this.handle(claim))) await this.idle(seen);
    }
  }

  private claimInTurn(): Promise<Claim | null> {
    const chain = (this.claimTurn += 1) % this.claimChains.length;
    const result = this.claimChains[chain]!.then(() => (this.stopping ? null : this.claim()));
    this.claimChains[chain] = result.catch(() => undefined);
    return result;
  }

  /** A claim waited for saturated ingest: the metric counts every rest, the log says so every 10 minutes at most. */
  private yielded(seconds: number): void {
    (this.deps.observer ?? silentObserver).yielded(seconds);
    if (Date.now() - this.yieldNoted < 600_000) return;
    this.yieldNoted = Date.now();
    const message = 'ingest commits are saturated: processing yields to senders (small claims, rests); the backlog drains once ingest eases';
    this.deps.log.info({ share: this.deps.config.shareWhileIngestBusy }, message);
  }

  private async claim(): Promise<Claim | null> {
    const { runner, config } = this.deps;
    const waited = await restBeforeClaim(this.yielder, this.stopped);
    if (waited > 0) this.yielded(waited);
    if (this.stopping) return null;
    const started = performance.now();
    const d = runner.dialect;
    const token = `${this.instanceId}:${(this.sequence += 1)}`;
    const maxEvents = claimLimit(config.batchSize, { parallelWide: !this.ordered && this.wideCalls, yielding: this.yielder.yielding() });
    const base = { token, leaseMs: config.leaseMs, maxEvents, maxBytes: config.maxClaimBytes };
    // Lapsed leases matter only after leaseMs: looked for a few times per lease, not per claim. Events
    // with a lease of their own are parallel claims' (in an ordered mode: left from before a change).
    const sweep = Date.now() - this.lastRecovery > config.leaseMs / 3;
    if (sweep) {
      this.lastRecovery = Date.now();
      await runner.transact(() => recoverExpired(d, config.ordering));
    }
    if (!this.ordered) return this.track(await runner.transact(() => claimParallel(d, base)), started);
    // Candidates beyond the budget: lanes other instances hold are skipped, and the claim still fills.
    const lanes = Math.min(this.lanePlan.lanes, maxEvents);
    const want = Math.min(maxEvents, lanes * 4);
    const found = await runner.read(() => discoverLanes(d, want, this.held, this.cursor, sweep));
    this.cursor = found.cursor;
    if (found.lanes.length === 0) return null;
    await runner.read(() => ensureLanes(d, found.lanes));
    const claim = await runner.transact(() =>
      claimLanes(d, found.lanes, { ...base, maxLanes: lanes, deep: this.lanePlan.deep, blockOnFailure: config.onFailure === 'block' }),
    );
    if (claim !== null) this.lanePlan = nextPlan(this.lanePlan, maxEvents, claim, this.wideCalls);
    return this.track(claim, started);
  }

  private track(claim: Claim | null, started: number): Claim | null {
    if (claim === null) return null;
    this.yielder.claimed(oldestWaitMs(claim.events));
    this.inFlight.set(claim, started);
    for (const lane of claim.lanes) this.held.add(lane);
    return claim;
  }

  /** Delivers and records one claim; false when no event moved on (all released). */
  private async handle(claim: Claim): Promise<boolean> {
    const { runner, config, log } = this.deps;
    let lost = false;
    let renewing: Promise<void> = Promise.resolve();
    const renewal = setInterval(() => {
      renewing = runner
        .transact(() => renewClaim(runner.dialect, claim, config.leaseMs))
        .then((kept) => void (lost ||= !kept))
        .catch((err: unknown) => log.warn({ err: errorFields(err) }, 'processing lease renewal failed'));
    }, Math.max(100, Math.floor(config.leaseMs / 3)));
    let outcomes: Map<number, Outcome>;
    try {
      outcomes = await deliverClaim(
        {
          routes: config.routes,
          sinks: this.deps.sinks,
          retry: config.retry,
          ordered: this.ordered,
          wholeLanes: this.wholeLanes,
          observer: this.deps.observer ?? silentObserver,
          random: this.deps.random ?? Math.random,
          lost: () => lost || !this.inFlight.has(claim),
        },
        claim.events,
      );
    } finally {
      clearInterval(renewal);
      await renewing;
    }
    try {
      if (this.inFlight.has(claim)) {
        const written = await runner.transact(() => finishClaim(runner.dialect, claim, outcomes));
        if (written > 0) this.report(claim, outcomes);
      }
    } catch (err) {
      // The lease runs out and the events are taken over: delivered again (sinks are idempotent).
      log.warn({ err: errorFields(err), events: claim.events.length }, 'processing outcomes could not be recorded');
    } finally {
      this.untrack(claim);
    }
    return [...outcomes.values()].some((o) => o.kind !== 'released');
  }

  private untrack(claim: Claim): void {
    const started = this.inFlight.get(claim);
    if (started !== undefined) this.yielder.spent(performance.now() - started);
    this.inFlight.delete(claim);
    for (const lane of claim.lanes) this.held.delete(lane);
  }

  private report(claim: Claim, outcomes: ReadonlyMap<number, Outcome>): void {
    const observer = this.deps.observer ?? silentObserver;
    const finishedAt = new Date();
    for (const event of claim.events) {
      const kind = outcomes.get(event.id)?.kind;
      if (kind === 'processed' || kind === 'failed' || kind === 'skipped') {
        observer.finished({ receivedAt: event.receivedAt, finishedAt, state: kind satisfies FinalState });
      }
    }
  }

  private maintain(): void {
    const { runner, log } = this.deps;
    this.maintaining = runner
      .transact(() => keyWaitingEvents(runner.dialect, this.deps.config.ordering))
      .then(() => runner.transact(() => dropFreeLanes(runner.dialect, 5000)))
      .then(() => undefined)
      .catch((err: unknown) => log.warn({ err: errorFields(err) }, 'processing lane clean-up failed'));
  }

  /** Stops claiming; in-flight claims finish within drainTimeoutMs, else are given back untouched. Safe to call twice. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.stopping = true;
      this.stopNow();
      clearInterval(this.maintenance);
      this.wake();
      let timer: NodeJS.Timeout | undefined;
      const drained = Promise.all(this.workers).then(() => true);
      const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), this.deps.drainTimeoutMs)));
      const finished = await Promise.race([drained, timedOut]);
      clearTimeout(timer);
      const { runner, log } = this.deps;
      if (!finished) {
        for (const claim of [...this.inFlight.keys()]) {
          this.untrack(claim);
          await runner.transact(() => releaseClaim(runner.dialect, claim)).catch((err: unknown) => log.warn({ err: errorFields(err) }, 'processing claim could not be given back'));
        }
        log.warn({ drainTimeoutMs: this.deps.drainTimeoutMs }, 'processing stopped with work in flight; it was given back');
      }
      await this.maintaining;
      for (const sink of this.deps.sinks.values()) await sink.close?.().catch((err: unknown) => log.warn({ err: errorFields(err), sink: sink.name }, 'sink close failed'));
      await runner.close();
    })();
    return this.closing;
  }
}

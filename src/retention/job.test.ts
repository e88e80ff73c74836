import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { retentionSchema, type RetentionConfig } from '../config/schema.ts';
import { StoreUnavailableError, type ExpiryPolicy, type MessageStatus, type Store } from '../store/store.ts';
import { createMemoryStore, type MemoryStore } from '../../test/support/memory-store.ts';
import { agedRow } from '../../test/support/rows.ts';
import { RetentionJob } from './job.ts';

// The job on a store made of plain data, with a fixed clock; the scheduling cases with fake timers.

const DAY = 86_400_000;
const now = new Date('2026-03-01T00:00:00.000Z');

async function seed(store: MemoryStore, rows: [MessageStatus, number][]): Promise<void> {
  await store.insertMessages(rows.map(([status, age], i) => agedRow(status, age, `C${i}`, now)));
}

function setup(config: Partial<RetentionConfig>, store: Pick<Store, 'deleteExpired'> = createMemoryStore()) {
  const lines: Record<string, unknown>[] = [];
  const waiters: (() => void)[] = [];
  const log = pino({ level: 'info' }, { write: (line: string) => {
    lines.push(JSON.parse(line) as Record<string, unknown>);
    if (lines.at(-1)?.msg === 'retention pass') waiters.splice(0).forEach((w) => w());
  } });
  const job = new RetentionJob({ store, config: retentionSchema.parse(config), log, clock: () => now });
  /** Resolves when the next pass has logged its line. */
  const nextPass = () => new Promise<void>((resolve) => waiters.push(resolve));
  return { job, lines, nextPass };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('RetentionJob: a pass', () => {
  it('deletes expired accepted and refused rows in chunks and reports each kind', async () => {
    const store = createMemoryStore();
    await seed(store, [['received', 40], ['received', 35], ['received', 31], ['received', 29], ['rejected', 8], ['rejected', 10], ['rejected', 6], ['received', 1]]);
    const { job, lines } = setup({ days: 30, rejectedDays: 7, chunkSize: 2 }, store);
    const report = await job.runPass();
    // accepted: 2 + 1 (< chunk: done); rejected: 2 + 0.
    expect(report).toMatchObject({ deletedAccepted: 3, deletedRejected: 2, chunks: 4, completed: true });
    expect(store.rows.map((r) => [r.status, Math.round((now.getTime() - r.receivedAt.getTime()) / DAY)])).toEqual([
      ['received', 29],
      ['rejected', 6],
      ['received', 1],
    ]);
    expect(job.totals).toMatchObject({ passes: 1, deletedAccepted: 3, deletedRejected: 2, failedPasses: 0, lastPassAt: now });
    const line = lines.find((l) => l.msg === 'retention pass');
    expect(line).toMatchObject({ deletedAccepted: 3, deletedRejected: 2, chunks: 4, durationMs: 0, acceptedBefore: new Date(now.getTime() - 30 * DAY).toISOString() });
  });

  it.each([
    ['days absent: accepted rows kept', { rejectedDays: 7 }, 0, 1],
    ['rejectedDays absent: defaults to days', { days: 7 }, 1, 1],
    ['nothing configured: nothing deleted, no store call', {}, 0, 0],
  ])('%s', async (_name, config, accepted, rejected) => {
    const store = createMemoryStore();
    await seed(store, [['received', 100], ['rejected', 100]]);
    const calls: ExpiryPolicy[] = [];
    const { job } = setup(config, { deleteExpired: (policy) => (calls.push(policy), store.deleteExpired(policy)) });
    expect(await job.runPass()).toMatchObject({ deletedAccepted: accepted, deletedRejected: rejected });
    expect(calls.every((c) => c.acceptedBefore === null || c.rejectedBefore === null)).toBe(true);
    if (accepted + rejected === 0) expect(calls).toEqual([]);
  });

  it('makes one more call when the last chunk was exactly full', async () => {
    const store = createMemoryStore();
    await seed(store, [['received', 40], ['received', 40], ['received', 40], ['received', 40]]);
    const { job } = setup({ days: 30, chunkSize: 2 }, store);
    // Accepted 2, 2, 0; refused 0.
    expect(await job.runPass()).toMatchObject({ deletedAccepted: 4, chunks: 4 });
  });

  it('logs and counts a failed pass, and the next pass works', async () => {
    const store = createMemoryStore();
    await seed(store, [['received', 40]]);
    let fail = true;
    const { job, lines } = setup({ days: 30 }, {
      deleteExpired: (policy) => (fail ? Promise.reject(new StoreUnavailableError('database did not answer')) : store.deleteExpired(policy)),
    });
    expect(await job.runPass()).toMatchObject({ completed: false, deletedAccepted: 0 });
    expect(job.totals.failedPasses).toBe(1);
    expect(lines.some((l) => l.msg === 'retention pass failed; the next one runs on schedule')).toBe(true);
    fail = false;
    expect(await job.runPass()).toMatchObject({ completed: true, deletedAccepted: 1 });
  });
});

/** A store whose deleteExpired calls wait until the test releases them. */
function heldStore() {
  const held: { policy: ExpiryPolicy; release: (deleted: number) => void }[] = [];
  const arrived: (() => void)[] = [];
  const store: Pick<Store, 'deleteExpired'> = {
    deleteExpired: (policy) =>
      new Promise<number>((resolve) => {
        held.push({ policy, release: resolve });
        arrived.splice(0).forEach((w) => w());
      }),
  };
  const nextCall = () => new Promise<void>((resolve) => arrived.push(resolve));
  return { store, held, nextCall };
}

describe('RetentionJob: schedule', () => {
  it('runs a pass at start, then one interval after the previous pass ended, never two at once', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { store, held, nextCall } = heldStore();
    const { job, nextPass } = setup({ days: 30, rejectedDays: 30, intervalMinutes: 10 }, store);
    job.start();
    let call = nextCall();
    await vi.advanceTimersByTimeAsync(0);
    await call;
    // The pass is stuck in its first chunk: 65 minutes pass, no second pass starts.
    await vi.advanceTimersByTimeAsync(65 * 60_000);
    expect(held).toHaveLength(1);
    call = nextCall();
    held[0]?.release(0);
    await call;
    let done = nextPass();
    held[1]?.release(0);
    await done;
    expect(job.totals.passes).toBe(1);
    // Next pass: 10 minutes after the first ended, not before.
    await vi.advanceTimersByTimeAsync(10 * 60_000 - 1);
    expect(held).toHaveLength(2);
    call = nextCall();
    await vi.advanceTimersByTimeAsync(1);
    await call;
    expect(held).toHaveLength(3);
    done = nextPass();
    held[2]?.release(0);
    await nextCall().then(() => held[3]?.release(0));
    await done;
    await job.stop();
    expect(job.totals.passes).toBe(2);
  });

  it('stop ends a running pass after its current chunk and waits for it', async () => {
    const { store, held, nextCall } = heldStore();
    const { job } = setup({ days: 30, chunkSize: 5 }, store);
    const call = nextCall();
    const pass = job.runPass();
    await call;
    let stopped = false;
    const stopping = job.stop().then(() => (stopped = true));
    await Promise.resolve();
    expect(stopped).toBe(false);
    held[0]?.release(5); // a full chunk: there would be more, but the job is stopping
    await stopping;
    expect(held).toHaveLength(1);
    expect(await pass).toMatchObject({ deletedAccepted: 5, completed: false });
  });

  it('joins a pass already running instead of starting a second one', async () => {
    const { store, held, nextCall } = heldStore();
    const { job } = setup({ days: 30 }, store);
    const call = nextCall();
    const first = job.runPass();
    await call;
    expect(job.runPass()).toBe(first);
    const second = nextCall();
    held[0]?.release(0);
    await second;
    held[1]?.release(0);
    await first;
    // One pass: its accepted phase and its refused phase, nothing more.
    expect(held.map((h) => [h.policy.acceptedBefore !== null, h.policy.rejectedBefore !== null])).toEqual([
      [true, false],
      [false, true],
    ]);
    expect(job.totals.passes).toBe(1);
  });
});

import { describe, expect, it } from 'vitest';
import { createGroupCommitter, type GroupCommitOptions, type Outcome, type PendingEntry } from './group-commit.ts';
import { StoreUnavailableError, type NewMessage } from './store.ts';

/** Rows are told apart by controlId; the committer never looks inside them. */
const row = (controlId: string, bytes = 10): NewMessage => ({ controlId, raw: Buffer.alloc(bytes) }) as unknown as NewMessage;
const ids = (entries: readonly PendingEntry[]): string[][] => entries.map((e) => e.rows.map((r) => r.controlId ?? ''));

/** A commit the test finishes by hand: each call waits until `finish()`. */
function manualCommit() {
  const calls: { entries: readonly PendingEntry[]; finish(error?: unknown): void }[] = [];
  let notify: (() => void) | undefined;
  const commit = (entries: readonly PendingEntry[]): Promise<Outcome[]> =>
    new Promise((resolve, reject) => {
      let next = 1;
      const outcome = (entry: PendingEntry): Outcome => ({
        ok: true,
        results: entry.rows.map(() => ({ inserted: true as const, id: next++ })),
      });
      calls.push({ entries, finish: (error) => (error === undefined ? resolve(entries.map(outcome)) : reject(error)) });
      notify?.();
    });
  /** Resolves once `n` commits have started. */
  const started = (n: number): Promise<void> =>
    new Promise((resolve) => {
      const check = (): void => void (calls.length >= n && resolve());
      notify = check;
      check();
    });
  return { commit, calls, started };
}

function committer(commit: GroupCommitOptions['commit'], overrides: Partial<GroupCommitOptions> = {}) {
  return createGroupCommitter({ commit, schedule: setImmediate, maxRows: 100, maxBytes: 1_000_000, bytesOf: (r) => r.raw.length, ...overrides });
}

describe('group commit', () => {
  it('commits the rows handed in during one loop turn together, and a lone row alone', async () => {
    const m = manualCommit();
    const c = committer(m.commit);
    const first = [c.submit([row('a')]), c.submit([row('b')]), c.submit([row('c'), row('d')])];
    await m.started(1);
    expect(ids(m.calls[0]!.entries)).toEqual([['a'], ['b'], ['c', 'd']]);
    m.calls[0]!.finish();
    await expect(Promise.all(first)).resolves.toEqual([[{ inserted: true, id: 1 }], [{ inserted: true, id: 2 }], [
      { inserted: true, id: 3 },
      { inserted: true, id: 4 },
    ]]);
    const lone = c.submit([row('e')]);
    await m.started(2);
    expect(ids(m.calls[1]!.entries)).toEqual([['e']]);
    m.calls[1]!.finish();
    await expect(lone).resolves.toHaveLength(1);
  });

  it('puts every row that arrives during a commit into the next one, and settles none early', async () => {
    const m = manualCommit();
    const c = committer(m.commit);
    const settled: string[] = [];
    const track = (name: string, p: Promise<unknown>) => p.then(() => settled.push(name));
    const a = track('a', c.submit([row('a')]));
    await m.started(1);
    const later = ['b', 'c', 'd'].map((name) => track(name, c.submit([row(name)])));
    await new Promise((resolve) => setImmediate(resolve));
    expect(m.calls).toHaveLength(1);
    expect(settled).toEqual([]);
    m.calls[0]!.finish();
    await a;
    await m.started(2);
    expect(settled).toEqual(['a']);
    expect(ids(m.calls[1]!.entries)).toEqual([['b'], ['c'], ['d']]);
    m.calls[1]!.finish();
    await Promise.all(later);
    expect(settled).toEqual(['a', 'b', 'c', 'd']);
  });

  it('caps a group by rows and bytes, never splits an entry, and lets an oversized entry go alone', async () => {
    const m = manualCommit();
    const c = committer(m.commit, { maxRows: 3, maxBytes: 100 });
    const all = [c.submit([row('a'), row('b')]), c.submit([row('c'), row('d')]), c.submit([row('big', 500)]), c.submit([row('e')])];
    for (let n = 1; n <= 4; n += 1) {
      await m.started(n);
      m.calls[n - 1]!.finish();
    }
    await Promise.all(all);
    expect(m.calls.map((call) => ids(call.entries))).toEqual([[['a', 'b']], [['c', 'd']], [['big']], [['e']]]);
  });

  it('fails every entry of a group with the error of its commit', async () => {
    const m = manualCommit();
    const c = committer(m.commit);
    const all = [c.submit([row('a')]), c.submit([row('b'), row('c')])];
    await m.started(1);
    const error = new StoreUnavailableError('gone');
    m.calls[0]!.finish(error);
    for (const result of await Promise.allSettled(all)) expect(result).toEqual({ status: 'rejected', reason: error });
  });

  it('settles each entry with its own outcome', async () => {
    const bad = new Error('bad row');
    const c = committer(async (entries) =>
      entries.map((entry): Outcome => (entry.rows[0]?.controlId === 'bad' ? { ok: false, error: bad } : { ok: true, results: [] })),
    );
    const results = await Promise.allSettled([c.submit([row('a')]), c.submit([row('bad')]), c.submit([row('c')])]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });

  it('answers a caller still waiting at its deadline with StoreUnavailableError, and never commits a queued row after it', async () => {
    const m = manualCommit();
    const c = committer(m.commit, { deadlineMs: 30 });
    const inFlight = c.submit([row('a')]);
    await m.started(1);
    const queued = c.submit([row('b')]);
    await expect(inFlight).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(queued).rejects.toThrow('no commit within 30 ms');
    m.calls[0]!.finish();
    await c.close();
    expect(m.calls).toHaveLength(1);
  });

  it('runs up to `concurrency` groups at once', async () => {
    const m = manualCommit();
    const c = committer(m.commit, { concurrency: 2, maxRows: 1 });
    const all = ['a', 'b', 'c'].map((name) => c.submit([row(name)]));
    await m.started(2);
    expect(m.calls.map((call) => ids(call.entries))).toEqual([[['a']], [['b']]]);
    m.calls[1]!.finish();
    await m.started(3);
    m.calls[0]!.finish();
    m.calls[2]!.finish();
    await expect(Promise.all(all)).resolves.toHaveLength(3);
  });

  it('refuses rows once closed, and closes after the rows already handed in are settled', async () => {
    const m = manualCommit();
    const c = committer(m.commit);
    const pending = c.submit([row('a')]);
    const closed = c.close();
    await expect(c.submit([row('b')])).rejects.toBeInstanceOf(StoreUnavailableError);
    let isClosed = false;
    void closed.then(() => (isClosed = true));
    await m.started(1);
    expect(isClosed).toBe(false);
    m.calls[0]!.finish();
    await expect(pending).resolves.toHaveLength(1);
    await closed;
    await expect(c.close()).resolves.toBeUndefined();
  });

  it('keeps each later caller to its own deadline once the earlier ones have settled', async () => {
    const m = manualCommit();
    const c = committer(m.commit, { deadlineMs: 40 });
    const first = c.submit([row('a')]);
    await m.started(1);
    m.calls[0]!.finish();
    await expect(first).resolves.toHaveLength(1);
    // Submitted after the first settled: one timer serves both, and the second is held to its own 40 ms.
    const submittedAt = performance.now();
    const second = c.submit([row('b')]);
    await m.started(2);
    await expect(second).rejects.toThrow('no commit within 40 ms');
    const waited = performance.now() - submittedAt;
    expect(waited).toBeGreaterThanOrEqual(39);
    expect(waited).toBeLessThan(1_000);
    m.calls[1]!.finish();
    await c.close();
  });

  it('answers an empty batch at once without a commit', async () => {
    const m = manualCommit();
    await expect(committer(m.commit).submit([])).resolves.toEqual([]);
    expect(m.calls).toHaveLength(0);
  });

  it('reports how busy its commits keep it: the share of time a commit ran', async () => {
    let now = 0;
    const m = manualCommit();
    const c = committer(m.commit, { clock: () => now });
    expect(c.busyShare()).toBe(0);
    const first = c.submit([row('a')]);
    await m.started(1);
    now = 250;
    expect(c.busyShare()).toBe(0); // one busy window is a burst
    now = 500;
    expect(c.busyShare()).toBe(1);
    m.calls[0]!.finish();
    await first;
    now = 750;
    c.busyShare();
    now = 1000;
    expect(c.busyShare()).toBe(0);
  });
});

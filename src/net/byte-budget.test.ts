import { describe, expect, it } from 'vitest';
import { createByteBudget, type BudgetAccount, type ByteBudget } from './byte-budget.ts';

/** Lets queued callbacks (microtasks) run. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Whether a promise has settled, without waiting for it. */
async function isSettled(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await settle();
  return settled;
}

/** An account that counts how often the budget called it back. */
function reader(budget: ByteBudget): BudgetAccount & { calls: () => number } {
  let calls = 0;
  const account = budget.openAccount(() => void calls++);
  return Object.assign(account, { calls: () => calls });
}

describe('createByteBudget: acquire (a body of known size)', () => {
  it('takes bytes that fit at once and gives them back once, however often release is called', async () => {
    const budget = createByteBudget(100);
    const release = await budget.acquire(60);
    expect([budget.used, budget.full]).toEqual([60, false]);
    release();
    release();
    expect(budget.used).toBe(0);
  });

  it('makes a request that does not fit wait until enough is given back; requests are served in order', async () => {
    const budget = createByteBudget(100);
    const first = await budget.acquire(70);
    const big = budget.acquire(50);
    const small = budget.acquire(10); // would fit, but waits behind the big one
    expect([await isSettled(big), await isSettled(small), budget.full]).toEqual([false, false, true]);
    first();
    const [releaseBig, releaseSmall] = [await big, await small];
    expect(budget.used).toBe(60);
    releaseBig();
    releaseSmall();
    expect(budget.used).toBe(0);
  });

  it('takes a request larger than the limit when nothing else is held', async () => {
    const budget = createByteBudget(100);
    (await budget.acquire(250))();
    const held = await budget.acquire(10);
    const huge = budget.acquire(250);
    expect(await isSettled(huge)).toBe(false);
    held();
    (await huge)();
    expect(budget.used).toBe(0);
  });

  it('drops a waiting request whose signal aborts, and serves the next one', async () => {
    const budget = createByteBudget(100);
    const held = await budget.acquire(90);
    const controller = new AbortController();
    const aborted = budget.acquire(50, controller.signal);
    const next = budget.acquire(5);
    controller.abort(new Error('client went away'));
    await expect(aborted).rejects.toThrow('client went away');
    expect(await isSettled(next)).toBe(true);
    held();
    expect(budget.used).toBe(5);
    await expect(budget.acquire(1, controller.signal)).rejects.toThrow('client went away');
  });
});

describe('createByteBudget: accounts (bytes held as they arrive)', () => {
  it('lets every account read under the limit, and none at or over it; calls them back when it fills and when it frees', async () => {
    const budget = createByteBudget(100);
    const [a, b] = [reader(budget), reader(budget)];
    a.hold(0, 60);
    expect([a.mayRead(), b.mayRead()]).toEqual([true, true]);
    b.hold(0, 40);
    await settle();
    expect([a.calls(), b.calls()]).toEqual([1, 1]); // full: both told to look again (and stop)
    expect([a.mayRead(), b.mayRead(), budget.full]).toEqual([false, false, true]);
    a.hold(0, 10);
    await settle();
    expect([a.calls(), b.calls()]).toEqual([2, 2]);
    expect([a.mayRead(), b.mayRead()]).toEqual([true, true]);
  });

  it('counts bytes of a message still arriving', () => {
    const budget = createByteBudget(100);
    const [a, b] = [reader(budget), reader(budget)];
    a.hold(0, 50);
    b.hold(60, 0);
    expect([budget.used, b.mayRead()]).toEqual([110, false]);
  });

  it('when only unfinished messages are held, lets one account at a time finish its message over the limit', async () => {
    const budget = createByteBudget(100);
    const [a, b, idle] = [reader(budget), reader(budget), reader(budget)];
    a.hold(60, 0);
    b.hold(60, 0);
    // Waiting would free nothing: one of them goes on, the other (and anyone holding nothing) waits.
    expect([idle.mayRead(), b.mayRead(), a.mayRead()]).toEqual([false, true, false]);
    b.hold(90, 0);
    expect(b.mayRead()).toBe(true);
    b.hold(50, 90); // its message is whole, and 50 bytes of the next one came with it
    expect([b.mayRead(), a.mayRead()]).toEqual([false, false]); // the whole one will be answered: wait for it
    b.hold(50, 0); // answered; still over the limit with unfinished messages only
    await settle();
    expect(a.calls()).toBeGreaterThan(0);
    expect([a.mayRead(), b.mayRead()]).toEqual([true, false]); // a's turn
    a.hold(0, 0);
    await settle();
    expect(b.mayRead()).toBe(true);
  });

  it('takes a single message larger than the limit when nothing else is held', () => {
    const budget = createByteBudget(100);
    const a = reader(budget);
    a.hold(150, 0);
    expect(a.mayRead()).toBe(true);
    a.hold(300, 0);
    expect(a.mayRead()).toBe(true);
  });

  it('gives back everything, and the right to go over the limit, when an account closes', async () => {
    const budget = createByteBudget(100);
    const [a, b] = [reader(budget), reader(budget)];
    a.hold(80, 0);
    b.hold(40, 0);
    expect([a.mayRead(), b.mayRead()]).toEqual([true, false]);
    a.close();
    await settle();
    expect([budget.used, b.calls(), b.mayRead(), a.mayRead()]).toEqual([40, 1, true, false]);
  });

  it('makes accounts wait while a request waits in acquire(), even under the limit', async () => {
    const budget = createByteBudget(100);
    const a = reader(budget);
    a.hold(0, 70);
    const request = budget.acquire(50);
    await settle();
    expect([a.calls(), a.mayRead()]).toEqual([1, false]);
    a.hold(0, 20);
    const release = await request;
    await settle();
    expect(a.mayRead()).toBe(true);
    release();
  });

  it('serves a waiting request over the limit when only unfinished messages are held', async () => {
    const budget = createByteBudget(100);
    const a = reader(budget);
    a.hold(80, 0);
    const release = await budget.acquire(50);
    expect([budget.used, a.mayRead()]).toEqual([130, false]);
    release();
    await settle();
    expect(a.mayRead()).toBe(true);
  });
});

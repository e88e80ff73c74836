import type { Ingest } from '../ingest/deps.ts';
import type { Store } from '../store/store.ts';
import type { Metrics } from './metrics.ts';

// Wrappers that measure without changing behaviour: both doors call the wrapped ingest, and ingest
// writes through the wrapped store. Results and errors pass through untouched.

/** Counts in-flight messages and observes each outcome with its ACK latency. */
export function instrumentIngest(ingest: Ingest, metrics: Metrics): Ingest {
  return async (input, source) => {
    const done = metrics.startMessage(source.transport);
    const started = process.hrtime.bigint();
    try {
      const outcome = await ingest(input, source);
      const seconds = secondsSince(started);
      // A batch (result 'batch') is observed as its messages, each with the batch's latency.
      for (const observed of outcome.batch?.messages ?? [outcome]) {
        if (observed.result !== 'batch') metrics.observeIngest(source.transport, { ...observed, result: observed.result }, seconds);
      }
      return outcome;
    } finally {
      done();
    }
  };
}

/**
 * Times the writes (each one is a commit); everything else goes straight to the store. A Proxy,
 * so methods added to Store later, and test stores' own fields, pass through unchanged.
 */
export function instrumentStore(store: Store, metrics: Metrics): Store {
  async function timed<T>(write: () => Promise<T>): Promise<T> {
    const started = process.hrtime.bigint();
    try {
      const result = await write();
      metrics.observeCommit(secondsSince(started), true);
      return result;
    } catch (err) {
      metrics.observeCommit(secondsSince(started), false);
      throw err;
    }
  }
  const insertMessage: Store['insertMessage'] = (row) => timed(() => store.insertMessage(row));
  const insertMessages: Store['insertMessages'] = (rows) => timed(() => store.insertMessages(rows));
  return new Proxy(store, {
    get(target, property, receiver) {
      if (property === 'insertMessage') return insertMessage;
      if (property === 'insertMessages') return insertMessages;
      return Reflect.get(target, property, receiver);
    },
  });
}

function secondsSince(started: bigint): number {
  return Number(process.hrtime.bigint() - started) / 1e9;
}

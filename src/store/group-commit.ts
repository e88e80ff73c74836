import { createBusyMeter } from './busy-meter.ts';
import { StoreUnavailableError, type InsertResult, type NewMessage } from './store.ts';

// Group commit (issue 3): rows that arrive while a commit runs wait, and all of them go into the next
// transaction, so N senders share one durable commit instead of queueing for N. There is no batching
// delay: an idle committer starts at the end of the current event-loop turn (a lone sender pays one
// round trip), and a busy one starts the next group the moment the last one ends. A caller's promise
// settles only once the transaction holding its rows has committed (or failed).

/** One caller's rows: a single message, or an HL7 batch that must commit whole. */
export type PendingEntry = { readonly rows: readonly NewMessage[]; readonly bytes: number };

export type Outcome = { ok: true; results: InsertResult[] } | { ok: false; error: unknown };

export type GroupCommitOptions = {
  /** Commits a group: one outcome per entry, in order. A rejection fails the whole group. */
  commit(entries: readonly PendingEntry[]): Promise<Outcome[]>;
  /** Runs a group that an idle committer starts; setImmediate gathers the rows of one loop turn. */
  schedule(run: () => void): void;
  /** A group stops growing past these (an entry bigger than both still goes, alone). */
  maxRows: number;
  maxBytes: number;
  bytesOf(row: NewMessage): number;
  /** A caller still waiting after this many ms gets StoreUnavailableError; absent: no deadline. */
  deadlineMs?: number;
  /** Groups committing at the same time (separate connections). */
  concurrency?: number;
  /** Milliseconds, for busyShare (tests set it); performance.now by default. */
  clock?: () => number;
};

export type GroupCommitter = {
  submit(rows: readonly NewMessage[]): Promise<InsertResult[]>;
  /** 0..1: the share of the last quarter second in which a commit ran (busy-meter.ts). */
  busyShare(): number;
  /** Refuses new rows; resolves once every accepted entry is settled. */
  close(): Promise<void>;
};

type Entry = PendingEntry & { readonly deadlineAt: number; settled: boolean; settle(outcome: Outcome): void };

export function createGroupCommitter(options: GroupCommitOptions): GroupCommitter {
  const concurrency = options.concurrency ?? 1;
  const queue: Entry[] = [];
  let running = 0;
  let scheduled = false;
  let closed = false;
  let idleWaiters: (() => void)[] = [];
  const deadlines = createDeadlines(options.deadlineMs, expire);
  const meter = createBusyMeter(250, options.clock);

  function submit(rows: readonly NewMessage[]): Promise<InsertResult[]> {
    if (closed) return Promise.reject(new StoreUnavailableError('the store is closed'));
    if (rows.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      let bytes = 0;
      for (const row of rows) bytes += options.bytesOf(row);
      const entry: Entry = {
        rows,
        bytes,
        deadlineAt: deadlines.from(performance.now()),
        settled: false,
        settle(outcome) {
          if (entry.settled) return;
          entry.settled = true;
          deadlines.settled();
          if (outcome.ok) resolve(outcome.results);
          else reject(outcome.error);
        },
      };
      deadlines.watch(entry);
      queue.push(entry);
      kick();
    });
  }

  /** The caller hears back in time; a commit still running may yet store the rows (a resend dedups). */
  function expire(entry: Entry): void {
    const at = queue.indexOf(entry);
    if (at !== -1) queue.splice(at, 1);
    entry.settle({ ok: false, error: new StoreUnavailableError(`no commit within ${options.deadlineMs} ms`) });
    wakeIfIdle();
  }

  function kick(): void {
    if (scheduled || running >= concurrency || queue.length === 0) return;
    scheduled = true;
    options.schedule(() => {
      scheduled = false;
      startGroups();
      wakeIfIdle();
    });
  }

  /** With several committers free, the waiting rows are shared out among them. */
  function startGroups(): void {
    while (running < concurrency && queue.length > 0) {
      let waiting = 0;
      for (const entry of queue) waiting += entry.rows.length;
      void runGroup(takeGroup(Math.min(options.maxRows, Math.ceil(waiting / (concurrency - running)))));
    }
  }

  function takeGroup(maxRows: number): Entry[] {
    let rows = 0;
    let bytes = 0;
    let count = 0;
    for (const entry of queue) {
      const fits = rows + entry.rows.length <= maxRows && bytes + entry.bytes <= options.maxBytes;
      if (count > 0 && !fits) break;
      rows += entry.rows.length;
      bytes += entry.bytes;
      count += 1;
    }
    return queue.splice(0, count);
  }

  async function runGroup(group: Entry[]): Promise<void> {
    running += 1;
    meter.started();
    try {
      const outcomes = await options.commit(group);
      group.forEach((entry, i) => entry.settle(outcomes[i] ?? { ok: false, error: new Error('no outcome for an entry') }));
    } catch (err) {
      for (const entry of group) entry.settle({ ok: false, error: err });
    } finally {
      meter.ended();
      running -= 1;
      startGroups();
      wakeIfIdle();
    }
  }

  function wakeIfIdle(): void {
    if (running > 0 || queue.length > 0 || scheduled) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const wake of waiters) wake();
  }

  function close(): Promise<void> {
    closed = true;
    return new Promise((resolve) => {
      idleWaiters.push(resolve);
      wakeIfIdle();
    });
  }

  return { submit, close, busyShare: () => meter.share() };
}

/**
 * The callers' deadlines, on one timer per committer instead of a setTimeout and a clearTimeout per
 * message. Deadlines are a fixed time after submit, so the entries are watched in deadline order;
 * settled ones leave from the head as they settle (groups settle in about submit order), so the
 * list holds only what is still waiting, and the timer is due at the oldest one's deadline.
 */
function createDeadlines(deadlineMs: number | undefined, expire: (entry: Entry) => void) {
  let watched: (Entry | undefined)[] = [];
  let head = 0;
  let timer: NodeJS.Timeout | undefined;

  /** Drops settled entries from the head (and their rows with them). */
  function trim(): void {
    while (head < watched.length && (watched[head] as Entry).settled) watched[head++] = undefined;
    if (head === watched.length) {
      watched.length = 0;
      head = 0;
    } else if (head >= 1024 && head * 2 >= watched.length) {
      watched = watched.slice(head);
      head = 0;
    }
  }

  function check(): void {
    timer = undefined;
    const now = performance.now();
    trim();
    for (let first = watched[head]; first !== undefined && first.deadlineAt <= now; first = watched[head]) {
      expire(first); // settles it
      trim();
    }
    arm(now);
  }

  function arm(now: number): void {
    const first = watched[head];
    if (first === undefined || timer !== undefined) return;
    // Unref'd: it may outlive the last entry, and must not hold the process open (a commit in
    // progress holds it anyway, by its socket).
    timer = setTimeout(check, Math.max(0, first.deadlineAt - now)).unref();
  }

  return {
    from: (now: number): number => (deadlineMs === undefined ? Number.POSITIVE_INFINITY : now + deadlineMs),
    watch(entry: Entry): void {
      if (deadlineMs === undefined) return;
      watched.push(entry);
      arm(performance.now());
    },
    /** An entry settled: the head moves on. */
    settled: trim,
  };
}

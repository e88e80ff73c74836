// One budget of message bytes held in memory, shared by both doors (issue 9): an MLLP frame from
// its first buffered byte until its reply is written, an HTTPS body while its request runs. Above
// `limit`, readers wait: MLLP connections stop reading (every one of them, not only the busy one)
// and HTTP requests wait in acquire(). A limit on frames alone let one sender hold 64 × 10 MiB.
//
// Bytes of a message still arriving cannot be given back until it has arrived. So when everything
// held is such unfinished messages (waiting would free nothing), one holder at a time may go over
// the limit to finish its message; that is also how a single message larger than the budget is
// taken when nothing else is in flight. Memory stays under limit + one message, plus one socket
// read per connection that was reading when the limit was reached.

export type BudgetAccount = {
  /** What the holder keeps now: `arriving` bytes of a message still being read, `whole` bytes of received messages not yet answered. */
  hold(arriving: number, whole: number): void;
  /**
   * May the holder read more now? When the answer is false, `onChange` runs once it may have
   * become true. `onChange` also runs when the budget fills up, so that a holder stops reading.
   */
  mayRead(): boolean;
  /** Gives back everything held; the account is not used again. */
  close(): void;
};

export type ByteBudget = {
  readonly limit: number;
  /** Bytes held now, by accounts and by acquire(). */
  readonly used: number;
  /** Readers must wait: `used` is at or over the limit, or a request waits in acquire(). */
  readonly full: boolean;
  /**
   * For a message whose size is known before it is read (an HTTP body): resolves once `bytes`
   * fit, in arrival order, and holds them until the returned function is called (once is enough;
   * more calls do nothing). Rejects with `signal.reason` when aborted while waiting.
   */
  acquire(bytes: number, signal?: AbortSignal): Promise<() => void>;
  /** For a reader that holds bytes as they arrive (an MLLP connection). */
  openAccount(onChange: () => void): BudgetAccount;
};

type Account = { arriving: number; whole: number; open: boolean; onChange: () => void };
type Waiter = { bytes: number; grant: () => void };

export function createByteBudget(limit: number): ByteBudget {
  let used = 0;
  let arriving = 0;
  /** The account allowed over the limit to finish the message it is reading. */
  let overdraft: Account | null = null;
  const accounts = new Set<Account>();
  /** Accounts told to wait, to be called back on relief. */
  const refused = new Set<Account>();
  const queue: Waiter[] = [];
  let wasFull = false;
  let relief = false;
  let scheduled = false;

  const isFull = (): boolean => used >= limit || queue.length > 0;
  /** Nothing is held but messages still arriving, and nobody is over the limit already. */
  const isStalled = (): boolean => used === arriving && overdraft === null;

  /** Calls back from a microtask: the caller may be inside an account's own callback. */
  function changed(): void {
    const due = isFull() !== wasFull || (relief && (refused.size > 0 || queue.length > 0));
    if (!due || scheduled) return;
    scheduled = true;
    queueMicrotask(notify);
  }

  function notify(): void {
    scheduled = false;
    relief = false;
    grantQueued();
    const full = isFull();
    const targets = full && !wasFull ? [...accounts] : [...refused];
    wasFull = full;
    refused.clear();
    for (const account of targets) if (account.open) account.onChange();
  }

  function grantQueued(): void {
    for (let head = queue[0]; head !== undefined && (used + head.bytes <= limit || isStalled()); head = queue[0]) {
      queue.shift();
      head.grant();
    }
  }

  function take(bytes: number): () => void {
    used += bytes;
    changed();
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      used -= bytes;
      relief = true;
      changed();
    };
  }

  function acquire(bytes: number, signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (queue.length === 0 && (used + bytes <= limit || isStalled())) return Promise.resolve(take(bytes));
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        const at = queue.indexOf(waiter);
        if (at !== -1) queue.splice(at, 1);
        relief = true;
        changed();
        reject(signal?.reason);
      };
      const waiter: Waiter = {
        bytes,
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve(take(bytes));
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      queue.push(waiter);
      changed();
    });
  }

  function openAccount(onChange: () => void): BudgetAccount {
    const account: Account = { arriving: 0, whole: 0, open: true, onChange };
    accounts.add(account);

    function hold(nowArriving: number, nowWhole: number): void {
      if (!account.open || (nowArriving === account.arriving && nowWhole === account.whole)) return;
      const before = account.arriving + account.whole;
      // Its message is whole (or it holds none): the right to go over the limit ends.
      const finished = nowWhole > account.whole || nowArriving === 0;
      used += nowArriving + nowWhole - before;
      arriving += nowArriving - account.arriving;
      account.arriving = nowArriving;
      account.whole = nowWhole;
      const endsOverdraft = overdraft === account && finished;
      if (endsOverdraft) overdraft = null;
      if (endsOverdraft || nowArriving + nowWhole < before) relief = true;
      changed();
    }

    return {
      hold,
      mayRead() {
        if (!account.open) return false;
        if (overdraft === account || !isFull()) return true;
        if (account.arriving > 0 && isStalled()) {
          overdraft = account;
          return true;
        }
        refused.add(account);
        return false;
      },
      close() {
        hold(0, 0);
        account.open = false;
        accounts.delete(account);
        refused.delete(account);
      },
    };
  }

  return {
    limit,
    get used() {
      return used;
    },
    get full() {
      return isFull();
    },
    acquire,
    openAccount,
  };
}

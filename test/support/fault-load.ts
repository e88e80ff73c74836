import { performance } from 'node:perf_hooks';
import { buildMessage } from './messages.ts';
import { frame, openRawPeer, readAck, type RawPeer } from './mllp-raw.ts';

export { frame }; // bench/soak-load.ts imports it from here

// Continuous MLLP load for the fault tests: senders on kept-open connections, each writing `depth`
// frames in one write (1 = stop-and-wait, as interface engines do; more = pipelining) with a unique
// MSH-10 per message, and recording every answer. A sender that gets no answer within
// `answerTimeoutMs` stops and records why: a fault must never leave a sender hanging.

export type Answer = {
  sender: number;
  controlId: string;
  code: string;
  /** The ERR segments, joined. */
  err: string;
  sentAt: number;
  answeredAt: number;
  /**
   * Time the service took for this answer once it was free to give it: from the later of "sent"
   * and "previous answer on this connection" (answers on one connection come in order).
   */
  gapMs: number;
};

export type LoadOptions = {
  port: number;
  /** Frames per write, one entry per sender. */
  depths: number[];
  /** MSH-10 prefix; keep it short (MSH-10 is 20 characters in most versions). */
  prefix: string;
  answerTimeoutMs: number;
};

export type LoadRun = {
  answers: Answer[];
  /** Every message sent, by MSH-10, so refused ones can be sent again byte for byte. */
  sent: Map<string, Buffer>;
  /** Timeouts, closed connections, answers out of order: empty when all went well. */
  problems: string[];
  /** Resolves once `check` holds after some answer; rejects after `timeoutMs` or if every sender stopped. */
  until(check: () => boolean, timeoutMs: number, what: string): Promise<void>;
  /** Stops sending new messages; resolves once every message written has its answer. */
  stop(): Promise<void>;
};

const kinds = [
  { type: 'ADT', event: 'A01' },
  { type: 'ORU', event: 'R01' },
  { type: 'SIU', event: 'S12' },
] as const;

/** A valid ADT/ORU/SIU message (rotating on `n`) framed for MLLP. */
export function mixedMessage(controlId: string, n: number): Buffer {
  const kind = kinds[n % kinds.length] ?? kinds[0];
  return Buffer.from(buildMessage({ controlId, type: kind.type, event: kind.event, patientId: `PAT-${n % 97}` }));
}

/** Rejects after `ms` with `what` in the message; clears its timer either way. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** For states without an event of their own (a counter in the service): checks every 20 ms. */
export async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`${what}: not reached within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export async function startLoad(options: LoadOptions): Promise<LoadRun> {
  const answers: Answer[] = [];
  const sent = new Map<string, Buffer>();
  const problems: string[] = [];
  const listeners = new Set<() => void>();
  let stopped = false;
  let running = options.depths.length;
  const notify = (): void => listeners.forEach((listener) => listener());

  async function runSender(peer: RawPeer, sender: number, depth: number): Promise<void> {
    let seq = 0;
    let received = 0;
    let lastAnswerAt = 0;
    while (!stopped) {
      const ids = Array.from({ length: depth }, () => `${options.prefix}${sender}-${String(seq++).padStart(5, '0')}`);
      const messages = ids.map((id, i) => mixedMessage(id, seq + i));
      ids.forEach((id, i) => sent.set(id, messages[i] as Buffer));
      const sentAt = performance.now();
      peer.write(Buffer.concat(messages.map(frame)));
      for (const id of ids) {
        const reply = await within(peer.reply(++received), options.answerTimeoutMs, `sender ${sender} answer for ${id}`);
        const answeredAt = performance.now();
        const ack = readAck(reply);
        if (ack.controlId !== id) throw new Error(`sender ${sender}: answer for ${ack.controlId} where ${id} was expected`);
        answers.push({ sender, controlId: id, code: ack.code, err: ack.err.join('\r'), sentAt, answeredAt, gapMs: answeredAt - Math.max(sentAt, lastAnswerAt) });
        lastAnswerAt = answeredAt;
        notify();
      }
    }
  }

  const peers = await Promise.all(options.depths.map(() => openRawPeer(options.port)));
  const done = peers.map((peer, sender) =>
    runSender(peer, sender, options.depths[sender] ?? 1)
      .catch((err: unknown) => void problems.push(err instanceof Error ? err.message : String(err)))
      .finally(() => {
        running--;
        peer.end();
        notify();
      }),
  );

  return {
    answers,
    sent,
    problems,
    until(check, timeoutMs, what) {
      let listener = (): void => undefined;
      const reached = new Promise<void>((resolve, reject) => {
        listener = () => {
          if (check()) resolve();
          else if (running === 0) reject(new Error(`${what}: every sender stopped (${problems.join('; ')})`));
        };
        listeners.add(listener);
        listener();
      });
      return within(reached, timeoutMs, what).finally(() => listeners.delete(listener));
    },
    async stop() {
      stopped = true;
      await Promise.all(done);
    },
  };
}

/** Sends `messages` again on a fresh connection, one at a time, and returns each answer's MSA-1. */
export async function resend(port: number, messages: Buffer[], answerTimeoutMs: number): Promise<string[]> {
  const peer = await openRawPeer(port);
  try {
    const codes: string[] = [];
    for (const [i, message] of messages.entries()) {
      peer.send(message);
      codes.push(readAck(await within(peer.reply(i + 1), answerTimeoutMs, `resend ${i + 1}`)).code);
    }
    return codes;
  } finally {
    peer.end();
  }
}

/** True when an answer is the AR (CR) with ERR code 207 that a store failure must produce. */
export function isStoreNak(answer: Pick<Answer, 'code' | 'err'>): boolean {
  return (answer.code === 'AR' || answer.code === 'CR') && /(^|[|^&])207([|^&]|$)/m.test(answer.err);
}

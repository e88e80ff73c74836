import { performance } from 'node:perf_hooks';
import { Message } from 'node-hl7-client';
import { configSchema } from '../src/config/schema.ts';
import { parseMessage } from '../src/hl7/message.ts';
import { validateMessage } from '../src/hl7/validate.ts';
import { kindLabel, messages, type MessageKind } from './fixtures.ts';
import type { Row } from './report.ts';

// Parse + validate with no I/O: the service's split on the needed fields against node-hl7-client's
// full parse plus reading the same five fields. Each loop stops at its iteration count or its time cap.

const rules = configSchema.parse({ https: { enabled: false } }).hl7;

type Loop = { label: string; iterations: Record<MessageKind, number>; run(bytes: Buffer, text: string): number };

const loops: Loop[] = [
  {
    label: 'parse+valid',
    iterations: { ADT: 300_000, ORU: 30_000 },
    run(bytes) {
      const parsed = parseMessage(bytes, { defaultCharset: rules.defaultCharset });
      if (!parsed.ok) return -1;
      return validateMessage(parsed.message, rules).length;
    },
  },
  {
    label: 'hl7-client',
    iterations: { ADT: 10_000, ORU: 2_000 },
    run(_bytes, text) {
      const message = new Message({ text });
      const fields = ['MSH.9.1', 'MSH.9.2', 'MSH.10', 'MSH.12', 'PID.3.1'].map((path) => message.get(path).toString());
      return fields.join('').length;
    },
  },
];

function measure(loop: Loop, kind: MessageKind, timeCapMs: number): Row {
  const [bytes] = messages(kind, 'HOT-', 1);
  if (bytes === undefined) throw new Error('no fixture');
  // node-hl7-client takes a string; the service decodes bytes itself, inside parseMessage.
  const text = bytes.toString('latin1');
  const iterations = loop.iterations[kind];
  const check = loop.run(bytes, text);
  const note = loop.label === 'parse+valid' && check !== 0 ? `fixture NOT valid (${check})` : '';
  for (let i = 0; i < Math.ceil(iterations / 10); i++) loop.run(bytes, text); // JIT warm-up
  let sink = 0;
  let done = 0;
  const start = performance.now();
  const deadline = start + timeCapMs;
  while (done < iterations) {
    sink += loop.run(bytes, text);
    done++;
    if ((done & 63) === 0 && performance.now() > deadline) break;
  }
  const elapsedMs = performance.now() - start;
  const capped = done < iterations ? 'time cap reached' : '';
  return {
    kind: loop.label,
    engine: '-',
    message: kindLabel[kind],
    conns: null,
    count: done,
    elapsedMs,
    bytes: done * bytes.length,
    latenciesMs: null,
    note: [note, capped, sink < 0 ? 'parse failed' : ''].filter((s) => s !== '').join('; '),
  };
}

/** Each loop stops at its iteration count or after `timeCapMs`. */
export function hotPathRows(timeCapMs: number): Row[] {
  return loops.flatMap((loop) => (['ADT', 'ORU'] as const).map((kind) => measure(loop, kind, timeCapMs)));
}

import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { createFrameReader } from '../src/mllp/frame.ts';
import { controlIdFor, frameTemplate, frameWithId, type FrameTemplate } from './frames.ts';
import { createHistogram, record, type Histogram } from './histogram.ts';
import type { LoadReport, LoadSpec } from './load-spec.ts';

// The load generator, run as its own process (`node --import tsx bench/load-gen.ts '<LoadSpec JSON>'`)
// so that it does not share an event loop with the server it measures. C connections, each keeping
// `depth` messages outstanding (1 = stop-and-wait, as interface engines do). Bounded: it stops
// sending at the end of the window, and gives up on a connection whose oldest message waits more
// than ackTimeoutMs. Prints JSON lines: {"event":"start"}, {"event":"end"}, then the report.

type Outstanding = { sentAt: number; controlId: string };

type Conn = { socket: Socket; index: number; next: number; outstanding: Outstanding[]; done: boolean };

const spec = JSON.parse(process.argv[2] ?? '{}') as LoadSpec;
const template: FrameTemplate = frameTemplate(spec.kind);
const histogram: Histogram = createHistogram();
const report: LoadReport = {
  answered: 0,
  sent: 0,
  notAa: {},
  outOfOrder: 0,
  errors: [],
  windowMs: 0,
  histogram,
  payloadBytes: template.payloadBytes,
  cpuUserMs: 0,
  cpuSystemMs: 0,
};
const emit = (line: object): boolean => process.stdout.write(`${JSON.stringify(line)}\n`);

let measureStart = Number.POSITIVE_INFINITY;
let measureEnd = Number.POSITIVE_INFINITY;
let finished = 0;
let onAllDone: () => void = () => {};
let sentInAll = 0;
const sameTime = process.env.HL7_BENCH_SAME_TIME === '1';

/** Every message the spec allows was sent (maxMessages). */
const capped = (): boolean => spec.maxMessages !== undefined && report.sent >= spec.maxMessages;

function send(conn: Conn): void {
  const controlId = controlIdFor(spec.tag, conn.index, conn.next++);
  conn.outstanding.push({ sentAt: performance.now(), controlId });
  report.sent++;
  if (spec.patients === undefined) {
    conn.socket.write(frameWithId(template, controlId));
    return;
  }
  // The n-th message to a patient is n seconds newer (HL7_BENCH_SAME_TIME=1: all the same time).
  const n = sentInAll++;
  conn.socket.write(frameWithId(template, controlId, n % spec.patients, sameTime ? undefined : Math.floor(n / spec.patients)));
}

/** Open loop: every 10 ms, the messages due by now, round-robin over the open connections. */
function paceSends(conns: Conn[], started: number): NodeJS.Timeout {
  let due = 0;
  let next = 0;
  return setInterval(() => {
    const now = performance.now();
    if (now >= measureEnd || capped()) return;
    const target = Math.floor(((now - started) / 1000) * (spec.ratePerSec ?? 0));
    for (; due < target; due++) {
      const conn = conns[next++ % conns.length];
      if (conn !== undefined && !conn.done) send(conn);
    }
  }, 10);
}

function onReply(conn: Conn, reply: Buffer): void {
  const now = performance.now();
  const sent = conn.outstanding.shift();
  if (sent === undefined) return fail(conn, 'reply without a message outstanding');
  if (now >= measureStart && now < measureEnd) {
    record(histogram, (now - sent.sentAt) * 1000);
    report.answered++;
    checkAck(reply, sent.controlId);
  }
  if (now < measureEnd && !capped()) {
    if (spec.ratePerSec === undefined) send(conn);
  } else if (conn.outstanding.length === 0) finish(conn);
}

/** MSA-1 must be AA; with checkIds, MSA-2 must be the MSH-10 of the oldest outstanding message. */
function checkAck(reply: Buffer, controlId: string): void {
  const msa = reply.indexOf('\rMSA', 0, 'latin1');
  const code = msa === -1 ? '(no MSA)' : reply.toString('latin1', msa + 5, msa + 7);
  if (code !== 'AA') report.notAa[code] = (report.notAa[code] ?? 0) + 1;
  if (spec.checkIds && msa !== -1 && reply.toString('latin1', msa + 8, msa + 8 + controlId.length) !== controlId) {
    report.outOfOrder++;
  }
}

function fail(conn: Conn, why: string): void {
  if (report.errors.length < 10) report.errors.push(`conn ${conn.index}: ${why}`);
  conn.socket.destroy();
  finish(conn);
}

function finish(conn: Conn): void {
  if (conn.done) return;
  conn.done = true;
  conn.socket.end();
  if (++finished === spec.conns) onAllDone();
}

async function open(index: number): Promise<Conn> {
  const socket = connect({ host: spec.host, port: spec.port, noDelay: true });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const conn: Conn = { socket, index, next: 0, outstanding: [], done: false };
  const reader = createFrameReader({ maxMessageBytes: 1 << 20 });
  socket.on('data', (chunk: Buffer) => {
    for (const event of reader.push(chunk)) {
      if (event.kind === 'frame') onReply(conn, event.payload);
      else if (event.kind === 'oversize') fail(conn, 'oversize reply');
    }
  });
  socket.on('error', (err) => fail(conn, `socket error ${(err as NodeJS.ErrnoException).code ?? err.message}`));
  socket.on('close', () => {
    if (!conn.done) fail(conn, `closed by the server with ${conn.outstanding.length} unanswered`);
  });
  return conn;
}

function watchTimeouts(conns: Conn[]): NodeJS.Timeout {
  return setInterval(() => {
    const now = performance.now();
    for (const conn of conns) {
      const oldest = conn.outstanding[0];
      if (!conn.done && oldest !== undefined && now - oldest.sentAt > spec.ackTimeoutMs) fail(conn, 'ACK timeout');
    }
  }, 250);
}

async function main(): Promise<void> {
  const conns = await Promise.all(Array.from({ length: spec.conns }, (_, i) => open(i)));
  const allDone = new Promise<void>((resolve) => (onAllDone = resolve));
  const start = performance.now();
  measureStart = start + spec.warmUpMs;
  measureEnd = measureStart + spec.durationMs;
  let cpuAtStart = process.cpuUsage();
  let cpuAtEnd: NodeJS.CpuUsage | null = null;
  const markEnd = (): void => {
    if (cpuAtEnd !== null) return;
    cpuAtEnd = process.cpuUsage(cpuAtStart);
    emit({ event: 'end' });
  };
  const markers = [
    setTimeout(() => {
      cpuAtStart = process.cpuUsage();
      emit({ event: 'start' });
    }, spec.warmUpMs),
    setTimeout(markEnd, spec.warmUpMs + spec.durationMs),
  ];
  const watchdog = watchTimeouts(conns);
  const progress = spec.progressEveryMs === undefined ? undefined : setInterval(() => emit({ event: 'progress', answered: report.answered }), spec.progressEveryMs);
  const pacer = spec.ratePerSec === undefined ? undefined : paceSends(conns, start);
  // Open loop: a connection with nothing outstanding at the end finishes when the window closes.
  const closer = pacer === undefined ? undefined : setTimeout(() => conns.filter((c) => c.outstanding.length === 0).forEach(finish), spec.warmUpMs + spec.durationMs + 20);
  if (pacer === undefined) {
    for (const conn of conns) for (let d = 0; d < spec.depth && !capped(); d++) send(conn);
    // Capped before every connection had one: those have nothing to wait for.
    conns.filter((c) => c.outstanding.length === 0).forEach(finish);
  }
  await allDone;
  clearInterval(pacer);
  clearTimeout(closer);
  markEnd();
  clearInterval(watchdog);
  clearInterval(progress);
  markers.forEach(clearTimeout);
  const cpu: NodeJS.CpuUsage = cpuAtEnd ?? process.cpuUsage(cpuAtStart);
  report.windowMs = Math.min(performance.now(), measureEnd) - measureStart;
  report.cpuUserMs = cpu.user / 1000;
  report.cpuSystemMs = cpu.system / 1000;
  emit({ event: 'report', report });
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    emit({ event: 'failed', reason: err instanceof Error ? err.message : String(err) });
    process.exit(1);
  },
);

import type { MessageKind } from './fixtures.ts';
import type { Histogram } from './histogram.ts';

// What the orchestrator (run.ts) asks of a load-generator process, and what it reports back.

export type LoadSpec = {
  host: string;
  port: number;
  kind: MessageKind;
  conns: number;
  /** Messages outstanding per connection: 1 = stop-and-wait, more = pipelined. */
  depth: number;
  warmUpMs: number;
  durationMs: number;
  /** Letters and digits, unique per scenario of a run: part of every MSH-10. */
  tag: string;
  /** Whether MSA-2 must echo the message's MSH-10 (false for the fixed-ACK floor). */
  checkIds: boolean;
  ackTimeoutMs: number;
  /** When set, a {"event":"progress","answered":n} line this often (the memory run uses it). */
  progressEveryMs?: number;
  /** When set, PID-3 cycles over this many patients (PAT-0000000 …); else every message is one patient. */
  patients?: number;
  /**
   * When set, an open-loop load: this many messages per second in all, spread over the connections
   * whatever their answers (pipelined), instead of a new message per answer.
   */
  ratePerSec?: number;
  /** When set, no more than this many messages in all: the run ends once they are answered. */
  maxMessages?: number;
};

export type LoadReport = {
  /** ACKs received inside the measured window. */
  answered: number;
  sent: number;
  /** MSA-1 other than AA → count. */
  notAa: Record<string, number>;
  /** ACKs whose MSA-2 was not the MSH-10 of the oldest outstanding message. */
  outOfOrder: number;
  errors: string[];
  windowMs: number;
  histogram: Histogram;
  payloadBytes: number;
  cpuUserMs: number;
  cpuSystemMs: number;
};

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { DbConfig } from '../../src/config/schema.ts';
import { createTestDatabase } from '../support/mariadb.ts';
import { buildMessage } from '../support/messages.ts';
import { frame, openRawPeer, readAck } from '../support/mllp-raw.ts';
import { startService, writeConfigDir, type ServiceProcess } from '../support/service-process.ts';

// Memory is bounded in bytes, not only in frames (issue 9): four senders pipelining 4 MiB frames
// could make the service hold 4 × 64 × 4 MiB = 1 GiB at once. With mllp.maxInFlightBytes (128 MiB
// by default) reading pauses on every connection above the budget, so the real process (its peak
// RSS, VmHWM from /proc) stays well under 500 MiB, and every frame is still answered in order.
// Measured on MariaDB: about 570-600 MiB without the budget; 430-440 MiB with it while header fields
// still pinned each decoded message (V8 substrings share their parent); about 330 MiB since the
// parser copies the MSH and PID segments. The bound below leaves room for a loaded machine.

const senders = 4;
const framesPerSender = 24;
const frameBytes = 4 * 1024 * 1024;
const rssLimitBytes = 420 * 1024 * 1024;

/** Peak resident set size of a process (VmHWM), in bytes. */
function peakRss(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = /^VmHWM:\s+(\d+) kB/m.exec(status)?.[1];
  if (kib === undefined) throw new Error(`no VmHWM in /proc/${pid}/status`);
  return Number(kib) * 1024;
}

const controlId = (sender: number, n: number): string => `MEM-${sender}-${String(n).padStart(3, '0')}`;

/** A valid ADT^A01 of about `frameBytes`, its size in the NTE. */
function bigMessage(id: string): Buffer {
  const head = buildMessage({ controlId: id, note: '' });
  return Buffer.from(buildMessage({ controlId: id, note: 'x'.repeat(frameBytes - head.length) }), 'latin1');
}

/** The db block of the service's YAML. */
function dbYaml(db: DbConfig): string[] {
  if (db.driver === 'sqlite') return ['db:', '  driver: sqlite', `  file: "${db.file}"`];
  const server = [`  host: ${db.host}`, `  port: ${db.port}`, `  user: ${db.user}`, `  password: "${db.password}"`, `  database: ${db.database}`];
  // Storing 4 MiB rows takes a while: the subject is memory, not the store's deadline.
  return ['db:', '  driver: mariadb', ...server, '  queryTimeoutMs: 120000'];
}

// MariaDB when reachable: its commits do not block the event loop, so the service can read much
// faster than it stores (better-sqlite3 commits synchronously, which throttles reading by itself).
const mariadb = await createTestDatabase('mllp_memory');
const dataDir = mkdtempSync(join(tmpdir(), 'hl7-mem-'));
const db: DbConfig = mariadb?.config ?? ({ driver: 'sqlite', file: join(dataDir, 'store.sqlite') } as DbConfig);

describe.skipIf(process.platform !== 'linux')(`MLLP memory under pipelined large frames (${db.driver}, own process)`, () => {
  let service: ServiceProcess | undefined;

  afterAll(async () => {
    if (service && service.child.exitCode === null) {
      service.child.kill('SIGTERM');
      await service.exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
    await mariadb?.drop();
  });

  it('keeps the process well under 500 MiB RSS and answers every frame in order', async () => {
    const yaml = ['mllp:', '  host: 127.0.0.1', '  port: 0',   'https:', '  enabled: false', ...dbYaml(db)].join('\n');
    service = await startService(writeConfigDir(yaml));
    const pid = service.child.pid ?? 0;
    const baseline = peakRss(pid);

    const peers = await Promise.all(Array.from({ length: senders }, () => openRawPeer(service?.port ?? 0)));
    // Each sender writes all its frames at once (pipelining); the socket buffers what the service does not read.
    peers.forEach((peer, s) => {
      for (let n = 0; n < framesPerSender; n++) peer.write(frame(bigMessage(controlId(s, n))));
    });
    const answers = await Promise.all(
      peers.map(async (peer, s) => {
        const ids: string[] = [];
        for (let n = 1; n <= framesPerSender; n++) {
          const ack = readAck(await peer.reply(n));
          ids.push(`${ack.code} ${ack.controlId}`);
        }
        peer.end();
        return { s, ids };
      }),
    );
    const peak = peakRss(pid);
    process.stderr.write(`mllp-memory: baseline ${(baseline / 2 ** 20).toFixed(0)} MiB, peak ${(peak / 2 ** 20).toFixed(0)} MiB\n`);
    expect(peak).toBeLessThan(rssLimitBytes);
    for (const { s, ids } of answers) expect(ids).toEqual(Array.from({ length: framesPerSender }, (_, n) => `AA ${controlId(s, n)}`));
  }, 180_000);
});

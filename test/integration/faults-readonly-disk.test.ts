import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isStoreNak, within } from '../support/fault-load.ts';
import { buildMessage } from '../support/messages.ts';
import { openRawPeer, readAck } from '../support/mllp-raw.ts';
import { startService, writeConfigDir, type ServiceProcess } from '../support/service-process.ts';

// The embedded store's disk refuses writes while the service runs (a failing disk that the kernel
// remounted read-only): the sender gets AR 207, not AA and not silence, the service keeps running,
// and once writes succeed again the same process answers AA.
//
// How the disk is made to refuse writes: chmod and `chattr +i` are checked only when a file is
// opened, and the store keeps its file open, so neither stops a running service (measured, as root
// and not); a tmpfs cannot be remounted read-only while a file on it is open for writing (EBUSY).
// What does stop it, without privileges: RLIMIT_FSIZE=1 on the service process (prlimit(1)), which
// makes every write(2) to a regular file beyond its first byte fail (EFBIG; Node ignores SIGXFSZ),
// exactly where a read-only disk fails them with EROFS. SQLite reports both as SQLITE_IOERR_WRITE.
// The service runs as its own process so that only it is limited; its logs go to a pipe.

const hasPrlimit = (() => {
  try {
    execFileSync('prlimit', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    process.stderr.write('prlimit (util-linux) not found: SKIPPING the read-only disk fault test\n');
    return false;
  }
})();

const queryTimeoutMs = 1_000;
const answerBoundMs = queryTimeoutMs + 3_000;

function setFileSizeLimit(pid: number, soft: string): void {
  execFileSync('prlimit', ['--pid', String(pid), `--fsize=${soft}:`]);
}

function fileSizeLimit(pid: number): string {
  return execFileSync('prlimit', ['--pid', String(pid), '--fsize', '--raw', '--noheadings', '--output', 'SOFT'], { encoding: 'utf8' }).trim();
}

describe.skipIf(!hasPrlimit)('faults: the embedded store cannot write', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hl7-ro-'));
  const file = join(dir, 'store.sqlite');
  let service: ServiceProcess;
  let configDir = '';

  beforeAll(async () => {
    const yaml = ['mllp:', '  host: 127.0.0.1', '  port: 0', 'https:', '  enabled: false', 'db:', '  driver: sqlite', `  file: "${file}"`, `  queryTimeoutMs: ${queryTimeoutMs}`];
    configDir = writeConfigDir(`${yaml.join('\n')}\n`);
    service = await startService(configDir);
  });
  afterAll(async () => {
    if (service?.child.exitCode === null) {
      service.child.kill('SIGKILL');
      await service.exited;
    }
    for (const path of [dir, configDir]) if (path) rmSync(path, { recursive: true, force: true });
  });

  it('answers AR 207 while writes fail, keeps running, and answers AA once they succeed again', async () => {
    const pid = service.child.pid ?? 0;
    const peer = await openRawPeer(service.port);
    const ask = async (n: number, controlId: string) => {
      peer.send(buildMessage({ controlId }));
      const started = performance.now();
      const ack = readAck(await within(peer.reply(n), answerBoundMs, `answer for ${controlId}`));
      return { ...ack, err: ack.err.join('\r'), ms: performance.now() - started };
    };
    expect((await ask(1, 'RO-BEFORE')).code).toBe('AA');

    const original = fileSizeLimit(pid);
    setFileSizeLimit(pid, '1');
    const during = await ask(2, 'RO-DURING');
    expect(isStoreNak(during)).toBe(true);
    expect(during.ms).toBeLessThan(answerBoundMs);
    // A second sender too: the service keeps running and keeps answering.
    const other = await openRawPeer(service.port);
    other.send(buildMessage({ controlId: 'RO-DURING-2' }));
    const second = readAck(await within(other.reply(1), answerBoundMs, 'second sender'));
    expect(isStoreNak({ code: second.code, err: second.err.join('\r') })).toBe(true);
    other.end();
    expect(service.child.exitCode).toBeNull();

    setFileSizeLimit(pid, original);
    // The sender retransmits what was refused, then carries on: the same process stores both.
    expect((await ask(3, 'RO-DURING')).code).toBe('AA');
    expect((await ask(4, 'RO-AFTER')).code).toBe('AA');
    peer.end();
    service.child.kill('SIGTERM');
    expect((await service.exited).code).toBe(0);

    const db = new Database(file, { readonly: true });
    try {
      const rows = db.prepare("SELECT control_id AS controlId, status FROM hl7_message WHERE control_id LIKE 'RO-%' ORDER BY control_id").all();
      expect(rows).toEqual([
        { controlId: 'RO-AFTER', status: 'received' },
        { controlId: 'RO-BEFORE', status: 'received' },
        { controlId: 'RO-DURING', status: 'received' },
      ]);
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      db.close();
    }
  }, 60_000);
});

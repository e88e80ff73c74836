import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../config/schema.ts';
import { startTestApp, type TestApp } from '../../test/support/app-harness.ts';
import { firstReleaseSqlite } from '../../test/integration/store-contract/old-schemas.ts';
import { createTestPki, type TestPki } from '../../test/support/tls.ts';
import { runHealth } from './health.ts';

// `npm run health` of an MLLP-only deployment never writes: it opens the SQLite file read-only (no
// folder, no file, no migration), and probes a TLS MLLP port by opening a TCP connection and closing
// it without a byte, so no handshake can fail (a port that requires a client certificate passes too).

type Run = { code: number; out: string[]; err: string[] };

async function health(config: Config): Promise<Run> {
  const run: Run = { code: -1, out: [], err: [] };
  run.code = await runHealth(config, { out: (l) => run.out.push(l), err: (l) => run.err.push(l) });
  return run;
}

describe('health of an MLLP-only deployment on SQLite', () => {
  let t: TestApp;
  let dir = '';
  beforeAll(async () => {
    t = await startTestApp('sqlite');
    dir = mkdtempSync(join(tmpdir(), 'hl7-health-'));
  });
  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const onSqlite = (file: string): Config => ({ ...t.config, mllp: { ...t.config.mllp, port: t.port }, db: { ...t.config.db, file } });

  it('creates nothing when the SQLite file is missing: no folder, no file, and "store" fails', async () => {
    const run = await health(onSqlite(join(dir, 'absent', 'hl7.sqlite')));
    expect(run.code).toBe(1);
    expect(run.err).toEqual([expect.stringMatching(/^store: cannot open SQLite database .*absent\/hl7\.sqlite: /)]);
    expect(existsSync(join(dir, 'absent'))).toBe(false);
  });

  it('opens the SQLite file read-only: a file of an earlier release is not upgraded by the check', async () => {
    const file = join(dir, 'first-release.sqlite');
    const old = new Database(file);
    old.exec(firstReleaseSqlite);
    old.close();
    const before = readFileSync(file);
    expect(await health(onSqlite(file))).toEqual({ code: 0, out: ['mllp: ok', 'store: ok'], err: [] });
    expect(readFileSync(file).equals(before)).toBe(true);
    const after = new Database(file, { readonly: true });
    try {
      const columns = (after.pragma('table_info(hl7_message)') as { name: string }[]).map((c) => c.name);
      expect(columns).not.toContain('tls_client_subject');
    } finally {
      after.close();
    }
  });
});

describe('health of an MLLP-only deployment on a TLS port (mllp.tls set)', () => {
  let pki: TestPki;
  let t: TestApp;
  let server: Server | undefined;
  beforeAll(async () => {
    pki = createTestPki();
    const tls = { keyFile: pki.server.keyFile, certFile: pki.server.certFile, caFile: pki.caFile, requestClientCert: true };
    t = await startTestApp('sqlite', { mllp: { tls } });
  });
  afterAll(async () => {
    await t?.close();
    if (server) await new Promise((resolve) => server?.close(resolve));
    pki?.cleanup();
  });

  it('passes against the real TLS listener, even one that requires a client certificate', async () => {
    const config = { ...t.config, mllp: { ...t.config.mllp, host: '0.0.0.0', port: t.port } };
    expect(await health(config)).toEqual({ code: 0, out: ['mllp: ok', 'store: ok'], err: [] });
    // A probe is not a failed handshake: an alert on that counter must not fire every 30 s.
    await t.app.mllp?.stopAccepting(); // waits until the probe's socket is closed on the server too
    expect(t.app.mllp?.counters.tlsHandshakeFailures).toBe(0);
  });

  it('opens a TCP connection and closes it without sending a byte (no handshake to fail)', async () => {
    let received = 0;
    const ended = new Promise<void>((resolve) => {
      server = createServer((socket) => {
        socket.on('data', (chunk: Buffer) => (received += chunk.length));
        socket.on('end', () => {
          socket.end();
          resolve();
        });
      });
    });
    server?.listen(0, '127.0.0.1');
    await once(server!, 'listening');
    const port = (server!.address() as AddressInfo).port;
    const run = await health({ ...t.config, mllp: { ...t.config.mllp, port } });
    expect(run.out).toContain('mllp: ok');
    await ended;
    expect(received).toBe(0);
  });
});

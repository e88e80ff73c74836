import { createServer } from 'node:net';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/mariadb.ts';
import { buildMessage } from '../support/messages.ts';
import { openRawPeer, readAck } from '../support/mllp-raw.ts';
import { runService, startService, waitForLog, writeConfigDir } from '../support/service-process.ts';
import { createTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';
import { createStore } from '../../src/store/create-store.ts';
import { dbSchema, type DbConfig } from '../../src/config/schema.ts';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// The real process (src/main.ts): start-up failures, SIGTERM with messages in flight, and kill -9
// under load followed by a restart in which every ACKed message is present.

const mariadb = await createTestDatabase('lifecycle');
afterAll(async () => {
  await mariadb?.drop();
});

async function storedControlIds(db: DbConfig): Promise<Set<string>> {
  const store = await createStore(db);
  try {
    const rows = await store.listMessages({ status: 'received', limit: 100_000 });
    return new Set(rows.map((r) => r.controlId ?? ''));
  } finally {
    await store.close();
  }
}

function configYaml(db: DbConfig, extra = ''): string {
  if (db.driver === 'sqlite') {
    return ['mllp:', '  host: 127.0.0.1', '  port: 0', 'https:', '  enabled: false', 'db:', '  driver: sqlite', `  file: "${db.file}"`, extra].join('\n');
  }
  return [
    'mllp:',
    '  host: 127.0.0.1',
    '  port: 0',
    'https:',
    '  enabled: false',
    'db:',
    '  driver: mariadb',
    `  host: ${db.host}`,
    `  port: ${db.port}`,
    `  user: ${db.user}`,
    `  password: "${db.password}"`,
    `  database: ${db.database}`,
    '  queryTimeoutMs: 2000',
    '  connectTimeoutMs: 1000',
    extra,
  ].join('\n');
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  return typeof address === 'object' && address ? address.port : 0;
}

describe('npm run health', () => {
  it('exits 0 while the service runs and 1 once it is gone', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'hl7-health-')), 'store.sqlite');
    const port = await freePort();
    const dir = writeConfigDir(
      `mllp:\n  host: 127.0.0.1\n  port: ${port}\nhttps:\n  enabled: false\ndb:\n  driver: sqlite\n  file: "${file}"\n`,
    );
    const service = await startService(dir);
    const healthy = runService(['health'], dir);
    expect((await healthy.exited).code).toBe(0);
    expect(healthy.stdout()).toContain('mllp: ok');
    service.child.kill('SIGTERM');
    await service.exited;
    const down = runService(['health'], dir);
    expect((await down.exited).code).toBe(1);
    expect(down.stderr()).toMatch(new RegExp(`mllp: cannot connect to 127\\.0\\.0\\.1:${port}`));
  });
});

describe('start-up failures exit 1 with a clear message', () => {
  it('refuses broken YAML, naming the file and line', async () => {
    const dir = writeConfigDir('mllp:\n  port: [unclosed\n');
    const run = runService(['start'], dir);
    expect((await run.exited).code).toBe(1);
    expect(run.stderr()).toMatch(/config-test\.yaml/);
    expect(run.stderr()).toMatch(/line/i);
  });

  it('refuses a port that is already in use', async () => {
    const busy = createServer().listen(0, '127.0.0.1');
    await once(busy, 'listening');
    const port = (busy.address() as { port: number }).port;
    const dir = writeConfigDir(`mllp:\n  host: 127.0.0.1\n  port: ${port}\nhttps:\n  enabled: false\ndb:\n  driver: sqlite\n  file: ":memory:"\n`);
    const run = runService(['start'], dir);
    expect((await run.exited).code).toBe(1);
    expect(run.stderr()).toMatch(/already in use/);
    busy.close();
  });

  it('refuses an unreachable database', async () => {
    const port = await freePort();
    const db = { host: '127.0.0.1', port, user: 'root', password: '', database: 'hl7' } as DbConfig;
    const run = runService(['start'], writeConfigDir(configYaml(db)));
    expect((await run.exited).code).toBe(1);
    expect(run.stderr()).toMatch(new RegExp(`127\\.0\\.0\\.1:${port}`));
  });
});

describe.skipIf(mariadb === null)('process lifecycle on MariaDB', () => {
  const db = mariadb as TestDatabase;
  let proxy: TcpProxy;

  beforeAll(async () => {
    proxy = await createTcpProxy(db.config.host, db.config.port);
  });
  afterAll(async () => {
    await proxy?.close();
  });


  it('on SIGTERM finishes and ACKs the messages in flight, then exits 0', async () => {
    const service = await startService(writeConfigDir(configYaml({ ...db.config, port: proxy.port }, 'log:\n  level: debug')));
    const peers = await Promise.all([openRawPeer(service.port), openRawPeer(service.port)]);
    proxy.pause(); // the database stops answering: the next messages are in flight
    peers.forEach((peer, i) => peer.send(buildMessage({ controlId: `TERM-${i}` })));
    // Both frames must have reached ingest before the signal: the service logs each at debug level.
    await waitForLog(service, /"msg":"MLLP frame received"/, 2);
    await proxy.waitForTraffic();
    service.child.kill('SIGTERM');
    proxy.resume();
    const acks = await Promise.all(peers.map((peer) => peer.reply(1)));
    expect(acks.map((a) => readAck(a).code)).toEqual(['AA', 'AA']);
    expect(await service.exited).toEqual({ code: 0, signal: null });
    const stored = await storedControlIds(db.config);
    expect(stored.has('TERM-0') && stored.has('TERM-1')).toBe(true);
  });
});

const killEngines = [
  { engine: 'sqlite', db: dbSchema.parse({ driver: 'sqlite', file: join(mkdtempSync(join(tmpdir(), 'hl7-kill-')), 'store.sqlite') }) },
  ...(mariadb ? [{ engine: 'mariadb', db: mariadb.config }] : []),
];

describe.each(killEngines)('kill -9 on $engine', ({ db }) => {
  it('after kill -9 under load and a restart, every ACKed message is stored', async () => {
    const configDir = writeConfigDir(configYaml(db));
    const service = await startService(configDir);
    const acked: string[] = [];
    let killed = false;
    const senders = Array.from({ length: 4 }, async (_, s) => {
      const peer = await openRawPeer(service.port);
      for (let n = 1; !killed; n++) {
        const controlId = `KILL-${s}-${n}`;
        peer.send(buildMessage({ controlId }));
        const reply = await peer.reply(n).catch(() => null);
        if (reply === null) return;
        if (readAck(reply).code === 'AA') acked.push(controlId);
        if (acked.length >= 200 && !killed) {
          killed = true;
          service.child.kill('SIGKILL');
        }
      }
    });
    await Promise.all(senders);
    expect((await service.exited).signal).toBe('SIGKILL');
    const restarted = await startService(configDir);
    const peer = await openRawPeer(restarted.port);
    peer.send(buildMessage({ controlId: 'AFTER-RESTART' }));
    expect(readAck(await peer.reply(1)).code).toBe('AA');
    restarted.child.kill('SIGTERM');
    expect((await restarted.exited).code).toBe(0);
    const stored = await storedControlIds(db);
    const missing = acked.filter((id) => !stored.has(id));
    expect(acked.length).toBeGreaterThanOrEqual(200);
    expect(missing).toEqual([]);
  });
});

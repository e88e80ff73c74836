import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app-harness.ts';
import { send } from '../support/https-client.ts';
import { createTestDatabase, type TestDatabase } from '../support/mariadb.ts';
import { buildMessage } from '../support/messages.ts';
import { openRawPeer, readAck } from '../support/mllp-raw.ts';
import { proxiedDatabase, type ProxiedDatabase } from '../support/proxied-db.ts';

// Shutdown (SIGTERM calls app.close()): both doors stop accepting first, then drain side by side.
// Before, MLLP kept taking connections while HTTP finished its requests (up to requestTimeoutMs).

const KEY = 'hl7k_shutdown-key-7f2e';
const mariadb = await createTestDatabase('shutdown_doors');

/** Resolves true when a TCP connection to the port is accepted, false when it is refused. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe.skipIf(mariadb === null)('shutdown with messages in flight on both doors', () => {
  let db: ProxiedDatabase;
  let t: TestApp;

  beforeAll(async () => {
    db = await proxiedDatabase(mariadb as TestDatabase);
    t = await startTestApp(db.config, {
      https: { enabled: true, tls: false, apiKeys: [{ name: 'ehr', sha256: createHash('sha256').update(KEY).digest('hex'), roles: ['ingest'] }] },
      // Its claims would be traffic through the proxy too: waitForTraffic must see the HTTP insert.
      processing: { enabled: false },
    });
  });
  afterAll(async () => {
    await t?.close();
    await db?.close();
  });

  it('stops accepting on both doors at once, then answers what was in flight on each', async () => {
    const httpsPort = t.httpsPort ?? 0;
    const peer = await openRawPeer(t.port);
    db.proxy.pause(); // the database stops answering: both messages stay in flight
    const posted = send({
      port: httpsPort,
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/hl7-v2' },
      body: buildMessage({ controlId: 'HTTP-IN-FLIGHT' }),
    });
    await db.proxy.waitForTraffic(); // the HTTP message's insert reached the (paused) database
    peer.send(buildMessage({ controlId: 'MLLP-IN-FLIGHT' }));
    await t.waitForLog(/"msg":"MLLP frame received"/); // and the MLLP one reached ingest
    const closing = t.app.close();
    // Neither door takes anything new while both drain.
    expect(await accepts(t.port)).toBe(false);
    expect(await accepts(httpsPort)).toBe(false);
    db.proxy.resume();
    expect(readAck(await peer.reply(1))).toMatchObject({ code: 'AA', controlId: 'MLLP-IN-FLIGHT' });
    expect((await posted).status).toBe(200);
    await closing;
  });
});

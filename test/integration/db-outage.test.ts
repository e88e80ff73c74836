import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app-harness.ts';
import { createTestDatabase, type TestDatabase } from '../support/mariadb.ts';
import { buildMessage } from '../support/messages.ts';
import { openRawPeer, readAck } from '../support/mllp-raw.ts';
import { proxiedDatabase, type ProxiedDatabase } from '../support/proxied-db.ts';

// The database lost mid-run: a TCP proxy between the service and MariaDB is cut (the shared
// server is never stopped). Senders get AR (207) within a bounded time, the listener keeps
// serving, and it recovers by itself when the database is reachable again.

const mariadb = await createTestDatabase('outage');

describe.skipIf(mariadb === null)('database outage', () => {
  let db: ProxiedDatabase;
  let t: TestApp;

  beforeAll(async () => {
    db = await proxiedDatabase(mariadb as TestDatabase);
    t = await startTestApp(db.config);
  });
  afterAll(async () => {
    await t?.close();
    await db?.close();
  });

  it('answers AR 207 within a bounded time while the database is cut, then recovers', async () => {
    const peer = await openRawPeer(t.port);
    peer.send(buildMessage({ controlId: 'BEFORE-CUT' }));
    expect(readAck(await peer.reply(1)).code).toBe('AA');

    db.proxy.cut();
    const started = Date.now();
    peer.send(buildMessage({ controlId: 'DURING-CUT' }));
    const nak = readAck(await peer.reply(2));
    expect(nak.code).toBe('AR');
    expect(nak.err.join('\r')).toContain('207');
    // queryTimeoutMs + connectTimeoutMs plus slack: never an unbounded wait.
    expect(Date.now() - started).toBeLessThan(5000);

    // A second sender is served (with AR) too: the listener does not stall.
    const other = await openRawPeer(t.port);
    other.send(buildMessage({ controlId: 'DURING-CUT-2' }));
    expect(readAck(await other.reply(1)).code).toBe('AR');

    db.proxy.restore();
    // The sender retransmits the refused message; the pool reconnects by itself.
    let code = '';
    for (let attempt = 0; attempt < 20 && code !== 'AA'; attempt++) {
      peer.send(buildMessage({ controlId: 'DURING-CUT' }));
      code = readAck(await peer.reply(3 + attempt)).code;
    }
    expect(code).toBe('AA');
    const rows = await t.app.store?.listMessages({ controlId: 'DURING-CUT' });
    expect(rows?.filter((r) => r.status === 'received')).toHaveLength(1);
    peer.end();
    other.end();
  });

  it('answers every MSH-15/MSH-16 combination AR/CR 207 while the database is cut, NE/NE included', async () => {
    const types = ['', 'AL', 'NE', 'ER', 'SU'];
    const combinations = types.flatMap((msh15) => types.map((msh16) => ({ msh15, msh16, controlId: `CUT-${msh15 || '_'}-${msh16 || '_'}` })));
    const peer = await openRawPeer(t.port);
    db.proxy.cut();
    try {
      for (const c of combinations) peer.send(buildMessage(c));
      for (const [i, c] of combinations.entries()) {
        const ack = readAck(await peer.reply(i + 1));
        expect([c.controlId, ack.code]).toEqual([c.controlId, expect.stringMatching(/^(AR|CR)$/)]);
        expect(ack.controlId).toBe(c.controlId);
        expect(ack.err.join('\r')).toContain('207');
      }
    } finally {
      db.proxy.restore();
      peer.end();
    }
  });
});

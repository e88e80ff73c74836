import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app-harness.ts';
import { send } from '../support/https-client.ts';
import { createTestDatabase, type TestDatabase } from '../support/mariadb.ts';
import { buildMessage } from '../support/messages.ts';
import { readAck } from '../support/mllp-raw.ts';
import { proxiedDatabase, type ProxiedDatabase } from '../support/proxied-db.ts';
import { createTestPki, type TestPki } from '../support/tls.ts';

// The database cut (through a TCP proxy; the shared server is never stopped) while a sender posts
// over HTTPS: 503 with Retry-After and the AR (207) as the body, never a hang; after the cut, the
// same message is stored once when the sender retransmits.

const KEY = 'hl7k_outage-key-a41c';
const mariadb = await createTestDatabase('https_outage');

describe.skipIf(mariadb === null)('POST /hl7 while the database is cut', () => {
  let db: ProxiedDatabase;
  let pki: TestPki;
  let t: TestApp;

  beforeAll(async () => {
    pki = createTestPki();
    db = await proxiedDatabase(mariadb as TestDatabase);
    t = await startTestApp(db.config, {
      https: {
        enabled: true,
        tls: { keyFile: pki.server.keyFile, certFile: pki.server.certFile },
        apiKeys: [{ name: 'ehr', sha256: createHash('sha256').update(KEY).digest('hex'), roles: ['ingest'] }],
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    await db?.close();
    pki?.cleanup();
  });

  const post = (controlId: string) =>
    send({
      port: t.httpsPort ?? 0,
      ca: pki.ca,
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/hl7-v2' },
      body: buildMessage({ controlId }),
    });

  it('answers 503 + Retry-After with the AR, then stores the retransmission once', async () => {
    expect((await post('BEFORE-CUT')).status).toBe(200);

    db.proxy.cut();
    const started = Date.now();
    const answer = await post('DURING-CUT');
    expect(answer.status).toBe(503);
    expect(Number(answer.headers['retry-after'])).toBeGreaterThan(0);
    expect(answer.headers['content-type']).toBe('application/hl7-v2; charset=UTF-8');
    const ack = readAck(answer.body);
    expect(ack).toMatchObject({ code: 'AR', controlId: 'DURING-CUT' });
    expect(ack.err.join('\r')).toContain('207');
    expect(Date.now() - started).toBeLessThan(5000);

    // Readiness says so too, while liveness stays up.
    const ready = await send({ port: t.httpsPort ?? 0, ca: pki.ca, method: 'GET', path: '/health/ready' });
    expect(ready.status).toBe(503);
    expect((await send({ port: t.httpsPort ?? 0, ca: pki.ca, method: 'GET', path: '/health/live' })).status).toBe(200);

    db.proxy.restore();
    let status = 0;
    for (let attempt = 0; attempt < 20 && status !== 200; attempt++) status = (await post('DURING-CUT')).status;
    expect(status).toBe(200);
    const rows = await t.app.store?.listMessages({ controlId: 'DURING-CUT' });
    expect(rows?.filter((r) => r.status === 'received')).toHaveLength(1);
    expect(rows?.[0]?.transport).toBe('https');
  });
});

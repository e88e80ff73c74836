import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../support/mariadb.ts';
import { buildMessage } from '../support/messages.ts';
import { readAck } from '../support/mllp-raw.ts';
import { proxiedDatabase, type ProxiedDatabase } from '../support/proxied-db.ts';
import { startApiApp, type ApiApp } from './api-setup.ts';

// GET /metrics on the real service: the counters move with real traffic through both doors, and
// with MariaDB behind a proxy, in-flight messages and store failures show. Read as Prometheus does.

const mariadb = await createTestDatabase('metrics');

/** The value of the first sample of `name` carrying all `labels`; undefined when there is none. */
function sample(body: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of body.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const have = (/\{([^}]*)\}/.exec(line)?.[1] ?? '').split(',');
    if (wanted.every((w) => have.includes(w))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

describe(`GET /metrics (${mariadb ? 'mariadb behind a proxy' : 'sqlite'})`, () => {
  let db: ProxiedDatabase | null = null;
  let t: ApiApp;

  beforeAll(async () => {
    db = mariadb ? await proxiedDatabase(mariadb) : null;
    t = await startApiApp(db?.config ?? 'sqlite');
  });
  afterAll(async () => {
    await t?.stop();
    await db?.close();
  });

  async function scrape(): Promise<string> {
    const answer = await t.get('/metrics');
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    return answer.text;
  }

  it('needs a read key (https.openMetrics is off)', async () => {
    expect((await t.get('/metrics', null)).status).toBe(401);
    expect((await t.get('/metrics', t.keys.ingest)).status).toBe(403);
  });

  it('counts messages by transport, type, event, ACK code and result, and framing errors', async () => {
    const before = await scrape();
    expect(sample(before, 'hl7_messages_total')).toBeUndefined();
    const mllp = await t.openMllp();
    for (const id of ['M-1', 'M-2']) expect((await mllp.sendAndRead(buildMessage({ controlId: id }))).code).toBe('AA');
    expect((await mllp.sendAndRead(buildMessage({ controlId: 'M-1' }))).code).toBe('AA'); // duplicate
    expect((await mllp.sendAndRead(buildMessage({ controlId: 'M-3', body: ['EVN|A01|20260115103000'] }))).code).toBe('AE');
    expect((await mllp.sendAndRead(buildMessage({ controlId: 'M-4', type: 'QRY', event: 'Q01' }))).code).toBe('AR');
    mllp.write('junk outside any frame');
    expect((await mllp.sendAndRead(buildMessage({ controlId: 'M-5', event: 'A04' }))).code).toBe('AA');
    expect((await t.post(buildMessage({ controlId: 'H-1', type: 'ORU', event: 'R01' }))).status).toBe(200);

    const body = await scrape();
    const mllpAdt = { transport: 'mllp', type: 'ADT', event: 'A01' };
    expect(sample(body, 'hl7_messages_total', { ...mllpAdt, ack_code: 'AA', result: 'accept' })).toBe(2);
    expect(sample(body, 'hl7_messages_total', { ...mllpAdt, ack_code: 'AA', result: 'duplicate' })).toBe(1);
    expect(sample(body, 'hl7_messages_total', { ...mllpAdt, ack_code: 'AE', result: 'error' })).toBe(1);
    expect(sample(body, 'hl7_messages_total', { transport: 'mllp', type: 'other', event: 'other', ack_code: 'AR' })).toBe(1);
    expect(sample(body, 'hl7_messages_total', { transport: 'mllp', type: 'ADT', event: 'A04', ack_code: 'AA' })).toBe(1);
    expect(sample(body, 'hl7_messages_total', { transport: 'https', type: 'ORU', event: 'R01', ack_code: 'AA' })).toBe(1);
    expect(sample(body, 'hl7_duplicate_messages_total', { transport: 'mllp' })).toBe(1);
    expect(sample(body, 'hl7_refused_messages_total', { transport: 'mllp', ack_code: 'AE' })).toBe(1);
    expect(sample(body, 'hl7_refused_messages_total', { transport: 'mllp', ack_code: 'AR' })).toBe(1);
    expect(sample(body, 'hl7_mllp_framing_errors_total', { kind: 'junk' })).toBe(1);
    expect(sample(body, 'hl7_ack_latency_seconds_count', { transport: 'mllp' })).toBe(6);
    expect(sample(body, 'hl7_ack_latency_seconds_count', { transport: 'https' })).toBe(1);
    expect(sample(body, 'hl7_store_commit_seconds_count', { outcome: 'ok' })).toBeGreaterThanOrEqual(5);
    expect(sample(body, 'hl7_open_connections', { transport: 'mllp' })).toBe(1);
    // At least the scrape's own connection.
    expect(sample(body, 'hl7_open_connections', { transport: 'https' })).toBeGreaterThanOrEqual(1);
    expect(sample(body, 'hl7_mllp_connections_total', { outcome: 'accepted' })).toBe(1);
    expect(sample(body, 'hl7_in_flight_messages', { transport: 'mllp' })).toBe(0);
    // No PHI in labels: neither control ids nor patient identifiers.
    expect(body).not.toMatch(/M-1|H-1|PAT-12345|QRY/);
    mllp.end();
  });

  it.skipIf(mariadb === null)('shows a message in flight while its commit waits, and none after', async () => {
    const mllp = await t.openMllp();
    db?.proxy.pause();
    mllp.send(buildMessage({ controlId: 'SLOW-1' }));
    await db?.proxy.waitForTraffic();
    expect(sample(await scrape(), 'hl7_in_flight_messages', { transport: 'mllp' })).toBe(1);
    db?.proxy.resume();
    expect(readAck(await mllp.reply(1)).code).toBe('AA');
    expect(sample(await scrape(), 'hl7_in_flight_messages', { transport: 'mllp' })).toBe(0);
    mllp.end();
  });

  it.skipIf(mariadb === null)('counts store failures and failed commits while the database is cut', async () => {
    const before = await scrape();
    const failedBefore = sample(before, 'hl7_store_commit_seconds_count', { outcome: 'error' }) ?? 0;
    const mllp = await t.openMllp();
    db?.proxy.cut();
    expect((await mllp.sendAndRead(buildMessage({ controlId: 'CUT-1' }))).code).toBe('AR');
    db?.proxy.restore();
    const body = await scrape();
    expect(sample(body, 'hl7_store_failures_total', { transport: 'mllp' })).toBe(1);
    expect(sample(body, 'hl7_store_commit_seconds_count', { outcome: 'error' })).toBeGreaterThan(failedBefore);
    mllp.end();
  });
});

describe('GET /metrics with https.openMetrics', () => {
  let t: ApiApp;
  beforeAll(async () => {
    t = await startApiApp('sqlite', { https: { openMetrics: true } });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('answers without a key', async () => {
    const answer = await t.get('/metrics', null);
    expect(answer.status).toBe(200);
    expect(answer.text).toContain('# TYPE hl7_messages_total counter');
  });
});

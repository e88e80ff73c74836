import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DbConfig } from '../../src/config/schema.ts';
import { createTestDatabase } from '../support/mariadb.ts';
import { buildMessage } from '../support/messages.ts';
import { startApiApp, type ApiApp } from './api-setup.ts';

// GET /api/messages and /api/messages/:id over real HTTPS, on each engine, against rows that
// arrived through both doors: every filter, pagination across pages, the detail and raw views,
// and the refusals (400 naming the parameter, 404, 401, 403).

type Item = { id: number; controlId: string | null; receivedAt: string; [key: string]: unknown };
type Page = { items: Item[]; nextCursor?: string };

const mariadb = await createTestDatabase('api_messages');
const engines: [string, DbConfig | 'sqlite'][] = [['sqlite', 'sqlite'], ...(mariadb ? [['mariadb', mariadb.config] as [string, DbConfig]] : [])];

afterAll(async () => {
  await mariadb?.drop();
});

describe.each(engines)('operations API on %s', (_engine, db) => {
  let t: ApiApp;
  let startedAt: Date;
  let middle: Date;

  const adt = (n: number, extra = {}) => buildMessage({ controlId: `ADT-${n}`, patientId: 'PAT-A', ...extra });

  beforeAll(async () => {
    t = await startApiApp(db);
    startedAt = new Date();
    const mllp = await t.openMllp();
    for (let n = 1; n <= 7; n++) expect((await mllp.sendAndRead(adt(n))).code).toBe('AA');
    middle = new Date((await t.app.store?.listMessages({ limit: 1 }))?.[0]?.receivedAt.getTime() ?? 0);
    middle.setMilliseconds(middle.getMilliseconds() + 1);
    const oru = (n: number) =>
      buildMessage({ controlId: `ORU-${n}`, type: 'ORU', event: 'R01', patientId: 'PAT-B', sendingApplication: 'LAB', sendingFacility: 'LABFAC' });
    expect((await mllp.sendAndRead(oru(1))).code).toBe('AA');
    expect((await mllp.sendAndRead(oru(2))).code).toBe('AA');
    expect((await mllp.sendAndRead(buildMessage({ controlId: 'SIU-1', type: 'SIU', event: 'S12', patientId: 'PAT-C' }))).code).toBe('AA');
    expect((await mllp.sendAndRead(adt(8, { event: 'A04' }))).code).toBe('AA');
    // Refused (no PID), and an exact retransmission that must not add a row.
    expect((await mllp.sendAndRead(buildMessage({ controlId: 'BAD-1', body: ['EVN|A01|20260115103000'] }))).code).toBe('AE');
    expect((await mllp.sendAndRead(adt(1))).code).toBe('AA');
    mllp.end();
    for (const n of [1, 2]) {
      const answer = await t.post(buildMessage({ controlId: `WEB-${n}`, event: 'A08', patientId: 'PAT-D' }));
      expect(answer.status).toBe(200);
    }
  });
  afterAll(async () => {
    await t?.stop();
  });

  async function list(query: string): Promise<Page> {
    const answer = await t.get(`/api/messages${query}`);
    expect(answer.status, answer.text).toBe(200);
    return answer.json() as Page;
  }

  const controlIds = async (query: string) => (await list(query)).items.map((i) => i.controlId);

  it('lists every row, refused ones included, newest first, each with its id', async () => {
    const page = await list('');
    expect(page.items).toHaveLength(14);
    expect(page.nextCursor).toBeUndefined();
    expect(page.items.map((i) => i.controlId)).toEqual([
      'WEB-2', 'WEB-1', 'BAD-1', 'ADT-8', 'SIU-1', 'ORU-2', 'ORU-1', 'ADT-7', 'ADT-6', 'ADT-5', 'ADT-4', 'ADT-3', 'ADT-2', 'ADT-1',
    ]);
    for (const item of page.items) expect(item.id).toEqual(expect.any(Number));
  });

  it.each([
    ['controlId', '?controlId=ORU-2', ['ORU-2']],
    ['sendingApplication', '?sendingApplication=LAB', ['ORU-2', 'ORU-1']],
    ['sendingFacility', '?sendingFacility=LABFAC', ['ORU-2', 'ORU-1']],
    ['type', '?type=SIU', ['SIU-1']],
    ['event', '?event=A04', ['ADT-8']],
    ['type and event', '?type=ADT&event=A08', ['WEB-2', 'WEB-1']],
    ['patientId', '?patientId=PAT-B', ['ORU-2', 'ORU-1']],
    ['status', '?status=rejected', ['BAD-1']],
    ['transport', '?transport=https', ['WEB-2', 'WEB-1']],
    ['several filters at once', '?patientId=PAT-A&transport=mllp&event=A01&limit=2', ['ADT-7', 'ADT-6']],
    ['a control id nobody sent', '?controlId=NOPE', []],
  ])('filters by %s', async (_name, query, expected) => {
    expect(await controlIds(query)).toEqual(expected);
  });

  it('filters by received time: from inclusive, to exclusive', async () => {
    const all = (await list('')).items;
    const adt7 = all.find((i) => i.controlId === 'ADT-7');
    const inRange = (from: string, to: string) => controlIds(`?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}&transport=mllp`);
    // ADT-7 is the newest row before `middle`; `to` excludes exactly that instant, `from` includes it.
    expect(await inRange(startedAt.toISOString(), middle.toISOString())).toContain('ADT-7');
    expect(await inRange(String(adt7?.receivedAt), middle.toISOString())).toContain('ADT-7');
    expect(await inRange(startedAt.toISOString(), String(adt7?.receivedAt))).not.toContain('ADT-7');
    expect(await inRange(middle.toISOString(), new Date(Date.now() + 60_000).toISOString())).not.toContain('ADT-1');
  });

  it('pages through everything with the cursor: no row twice, none missed, no cursor on the last page', async () => {
    const everything = (await list('')).items.map((i) => i.id);
    const seen: number[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await list(`?limit=3${cursor === undefined ? '' : `&cursor=${cursor}`}`);
      seen.push(...page.items.map((i) => i.id));
      expect(page.items.length).toBe(page.nextCursor === undefined ? everything.length - (pages * 3) : 3);
      cursor = page.nextCursor;
      pages++;
    } while (cursor !== undefined && pages < 10);
    expect(pages).toBe(5); // 14 rows: 3 + 3 + 3 + 3 + 2
    expect(seen).toEqual(everything);
  });

  it('pages oldest first with order=oldest, and refuses a cursor of the other order', async () => {
    const everything = (await list('')).items.map((i) => i.id);
    const seen: number[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await list(`?order=oldest&limit=4${cursor === undefined ? '' : `&cursor=${cursor}`}`);
      seen.push(...page.items.map((i) => i.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor !== undefined && pages < 10);
    expect(seen).toEqual([...everything].reverse());
    const newest = await list('?limit=2');
    const mixed = await t.get(`/api/messages?order=oldest&limit=2&cursor=${newest.nextCursor}`);
    expect(mixed.status).toBe(400);
    expect((mixed.json() as { detail: string }).detail).toMatch(/^cursor: it pages the list in the other order; send order=newest/);
  });

  it('keeps the filter across pages and ends without an empty page', async () => {
    const first = await list('?patientId=PAT-A&limit=4');
    expect(first.items.map((i) => i.controlId)).toEqual(['ADT-8', 'ADT-7', 'ADT-6', 'ADT-5']);
    const second = await list(`?patientId=PAT-A&limit=4&cursor=${first.nextCursor}`);
    expect(second.items.map((i) => i.controlId)).toEqual(['ADT-4', 'ADT-3', 'ADT-2', 'ADT-1']);
    expect(second.nextCursor).toBeUndefined();
  });

  it('lists metadata only: never content, names or raw bytes', async () => {
    const answer = await t.get('/api/messages?limit=500');
    expect(answer.text).not.toContain('TESTPATIENT');
    expect(answer.text).not.toContain('MSH|');
    expect(answer.text).not.toContain('synthetic test data');
    const item = (answer.json() as Page).items.find((i) => i.controlId === 'BAD-1');
    expect(item).toMatchObject({ status: 'rejected', ackCode: 'AE', type: 'ADT', event: 'A01', transport: 'mllp', patientId: null });
    expect(String(item?.error)).toContain('PID');
    expect(Object.keys(item ?? {})).not.toContain('raw');
  });

  it('shows one message decoded, with its ACK, and the exact stored bytes on ?format=raw', async () => {
    const [item] = (await list('?controlId=ORU-1')).items;
    const detail = await t.get(`/api/messages/${item?.id}`);
    expect(detail.status).toBe(200);
    const body = detail.json() as { segments: string[]; ack: string; controlId: string; patientId: string };
    expect(body.controlId).toBe('ORU-1');
    expect(body.segments.map((s) => s.slice(0, 3))).toEqual(['MSH', 'PID', 'OBR', 'OBX']);
    expect(body.segments[1]).toContain('TESTPATIENT^ALPHA');
    expect(body.ack).toMatch(/\rMSA\|AA\|ORU-1/);
    const raw = await t.get(`/api/messages/${item?.id}?format=raw`);
    expect(raw.status).toBe(200);
    expect(raw.headers['content-type']).toMatch(/^application\/hl7-v2/);
    expect(raw.body.equals(Buffer.from(buildMessage({ controlId: 'ORU-1', type: 'ORU', event: 'R01', patientId: 'PAT-B', sendingApplication: 'LAB', sendingFacility: 'LABFAC' })))).toBe(true);
  });

  it('decodes with the charset the message was received in, and returns its bytes unchanged', async () => {
    // ISO-8859-1 (MSH-18 8859/1): "é" is the single byte 0xE9, not valid UTF-8.
    const text = buildMessage({ controlId: 'LATIN-1', msh18: '8859/1', note: 'caf\u00e9' });
    const bytes = Buffer.from(text, 'latin1');
    const mllp = await t.openMllp();
    expect((await mllp.sendAndRead(bytes)).code).toBe('AA');
    mllp.end();
    const [item] = (await list('?controlId=LATIN-1')).items;
    const detail = (await t.get(`/api/messages/${item?.id}`)).json() as { segments: string[]; charset: string };
    expect(detail.charset).toBe('ISO-8859-1');
    expect(detail.segments.at(-1)).toBe('NTE|1||caf\u00e9');
    expect((await t.get(`/api/messages/${item?.id}?format=raw`)).body.equals(bytes)).toBe(true);
  });

  it.each([
    ['limit over the maximum', '/api/messages?limit=501', /^limit: /],
    ['limit not a number', '/api/messages?limit=all', /^limit: /],
    ['an unknown status', '/api/messages?status=ok', /^status: /],
    ['an unknown order', '/api/messages?order=asc', /^order: /],
    ['from not ISO 8601', '/api/messages?from=yesterday', /^from: /],
    ['to before from', '/api/messages?from=2024-05-02&to=2024-05-01', /^to: /],
    ['an unknown parameter', '/api/messages?controlID=X', /^controlID: unknown parameter/],
    ['a tampered cursor', '/api/messages?cursor=AAAAAAAAAAAAAAAAAAAA', /^cursor: /],
    ['an id that is not a number', '/api/messages/abc', /^id: /],
    ['an unknown format', '/api/messages/1?format=xml', /^format: /],
  ])('answers 400 problem JSON for %s, naming the parameter', async (_name, path, detail) => {
    const answer = await t.get(path);
    expect(answer.status).toBe(400);
    expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect((answer.json() as { detail: string }).detail).toMatch(detail);
  });

  it('answers 404 problem JSON for an unknown id', async () => {
    const answer = await t.get('/api/messages/987654321');
    expect(answer.status).toBe(404);
    expect(answer.json()).toMatchObject({ status: 404, title: 'Not Found' });
  });

  it('needs a key with the read role', async () => {
    expect((await t.get('/api/messages', null)).status).toBe(401);
    expect((await t.get('/api/messages', t.keys.ingest)).status).toBe(403);
    expect((await t.get('/api/messages/1', null)).status).toBe(401);
    expect((await t.get('/api/messages', t.keys.both)).status).toBe(200);
  });

  it('logs the route pattern, never the query string', async () => {
    await t.get('/api/messages?patientId=PAT-SECRET-42');
    const logs = t.logs.join('');
    expect(logs).toContain('"/api/messages"');
    expect(logs).not.toContain('PAT-SECRET-42');
  });
});

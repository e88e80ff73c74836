import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app-harness.ts';
import { send, type Answer } from '../support/https-client.ts';
import { createTestDatabase } from '../support/mariadb.ts';
import { buildAckMessage, buildMessage, type MessageOptions } from '../support/messages.ts';
import { readAck } from '../support/mllp-raw.ts';
import { createTestPki, type TestPki } from '../support/tls.ts';
import { fullRows } from '../support/stored-rows.ts';

// POST /hl7 over real HTTPS (a CA and certificates made for this file) into MariaDB: the status
// per cause, the ACK as the body whatever MSH-15 says, charsets, duplicates, size and type limits,
// and what is stored (transport https, peer address, client certificate subject).

const KEY = 'hl7k_ingest-test-key-0b3d';
const LAB = '/C=CH/O=Hospital/CN=lab1';
const LAB_SUBJECT = 'CN=lab1,O=Hospital,C=CH';
const MAX = 64 * 1024;
const mariadb = await createTestDatabase('https_ingest');

describe(`POST /hl7 over HTTPS (${mariadb ? 'mariadb' : 'sqlite'})`, () => {
  let pki: TestPki;
  let t: TestApp;
  let n = 0;

  beforeAll(async () => {
    pki = createTestPki();
    t = await startTestApp(mariadb?.config ?? 'sqlite', {
      https: {
        enabled: true,
        tls: { keyFile: pki.server.keyFile, certFile: pki.server.certFile, caFile: pki.caFile, requestClientCert: true },
        maxMessageBytes: MAX,
        apiKeys: [{ name: 'ehr-cloud', sha256: createHash('sha256').update(KEY).digest('hex'), roles: ['ingest'] }],
        clientCerts: [{ subject: LAB_SUBJECT, roles: ['ingest'] }],
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    await mariadb?.drop();
    pki?.cleanup();
  });

  function post(body: Buffer | string, contentType = 'application/hl7-v2', extra: { key?: Buffer; cert?: Buffer } = {}): Promise<Answer> {
    const headers: Record<string, string> = extra.cert === undefined ? { authorization: `Bearer ${KEY}` } : {};
    if (contentType !== '') headers['content-type'] = contentType;
    return send({ port: t.httpsPort ?? 0, ca: pki.ca, headers, body, ...extra });
  }

  async function rowsOf(controlId: string) {
    return fullRows(t.app.store, { controlId });
  }

  const fresh = () => `HTTPS-${++n}`;

  type Case = [string, MessageOptions | ((id: string) => string), number, string];
  const causes: Case[] = [
    ['a valid message', {}, 200, 'AA'],
    ['MSH-15 NE / MSH-16 NE (answered anyway over HTTP)', { msh15: 'NE', msh16: 'NE' }, 200, 'CA'],
    ['MSH-15 AL (enhanced mode)', { msh15: 'AL' }, 200, 'CA'],
    ['a missing required segment (content error)', { body: ['EVN|A01|20260115103000'] }, 400, 'AE'],
    ['an MSH-7 that is no timestamp', { timestamp: 'yesterday' }, 400, 'AE'],
    ['an unaccepted message type', { type: 'ZZZ', event: 'Z01' }, 422, 'AR'],
    ['an unaccepted trigger event', { event: 'A99' }, 422, 'AR'],
    ['an unknown version', { version: '9.9' }, 422, 'AR'],
    ['an unknown processing id', (id) => buildMessage({ controlId: id }).replace('|P|2.5.1', '|X|2.5.1'), 422, 'AR'],
    ['a content error with MSH-15 NE', { msh15: 'NE', msh16: 'NE', timestamp: 'yesterday' }, 400, 'CE'],
  ];
  it.each(causes.map(([name, message, status, code]) => ({ name, message, status, code })))(
    '$name → $status with the ACK ($code) as the body',
    async ({ message, status, code }) => {
    const id = fresh();
    const body = typeof message === 'function' ? message(id) : buildMessage({ ...message, controlId: id });
    const answer = await post(body);
    expect(answer.status).toBe(status);
    expect(answer.headers['content-type']).toBe('application/hl7-v2; charset=UTF-8');
    const ack = readAck(answer.body);
    expect(ack).toMatchObject({ code, controlId: id });
    if (status !== 200) expect(ack.err.length).toBeGreaterThan(0);
    const rows = await rowsOf(id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ transport: 'https', status: status === 200 ? 'received' : 'rejected', ackCode: code });
    expect(rows[0]?.ack?.equals(answer.body)).toBe(true);
    expect(rows[0]?.raw.equals(Buffer.from(body))).toBe(true);
    expect(rows[0]?.remoteAddress).toMatch(/^(::ffff:)?127\.0\.0\.1$/);
    },
  );

  it('answers a body without a readable MSH with 400 and AR', async () => {
    const answer = await post('PID|1||PAT-1\r');
    expect(answer.status).toBe(400);
    expect(readAck(answer.body).code).toBe('AR');
  });

  it('answers an empty body with 400 and AR', async () => {
    const answer = await post('');
    expect(answer.status).toBe(400);
    expect(readAck(answer.body).code).toBe('AR');
  });

  it('answers an exact retransmission 200 again, without a second row', async () => {
    const id = fresh();
    const body = buildMessage({ controlId: id });
    const first = await post(body);
    const again = await post(body);
    expect([first.status, again.status]).toEqual([200, 200]);
    expect(readAck(again.body)).toMatchObject({ code: 'AA', controlId: id });
    expect(await rowsOf(id)).toHaveLength(1);
  });

  it('answers the same MSH-10 with other content with 400 and AE (205)', async () => {
    const id = fresh();
    expect((await post(buildMessage({ controlId: id, note: 'first' }))).status).toBe(200);
    const other = await post(buildMessage({ controlId: id, note: 'second' }));
    expect(other.status).toBe(400);
    const ack = readAck(other.body);
    expect(ack.code).toBe('AE');
    expect(ack.err.join('\r')).toContain('205');
  });

  it('stores an inbound ACK message and answers 204 without an ACK (ACK messages are never answered)', async () => {
    const id = fresh();
    const answer = await post(buildAckMessage(id));
    expect(answer.status).toBe(204);
    expect(answer.body.length).toBe(0);
    expect(await rowsOf(id)).toMatchObject([{ status: 'received', messageType: 'ACK', ack: null }]);
  });

  it.each(['x-application/hl7-v2+er7', 'Application/HL7-V2'])('takes %s and answers in the same media type', async (type) => {
    const answer = await post(buildMessage({ controlId: fresh() }), type);
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe(`${type.toLowerCase()}; charset=UTF-8`);
  });

  describe('charset', () => {
    // Synthetic, with non-ASCII letters: "Müller" in ISO-8859-1 is not valid UTF-8.
    const latin1 = (id: string, msh18: string) =>
      Buffer.from(buildMessage({ controlId: id, msh18, body: ['PID|1||PAT-9^^^HOSP^MR||MÜLLER^JÖRG||19800101|M'] }), 'latin1');

    it.each([
      ['the Content-Type charset wins over MSH-18', 'application/hl7-v2; charset=ISO-8859-1', 'UNICODE UTF-8', 'ISO-8859-1'],
      ['a windows-1252 Content-Type wins over an MSH-18 of 8859/1', 'x-application/hl7-v2+er7; charset=windows-1252', '8859/1', 'windows-1252'],
      ['MSH-18 without a Content-Type charset', 'application/hl7-v2', '8859/1', 'ISO-8859-1'],
    ])('%s', async (_name, contentType, msh18, used) => {
      const id = fresh();
      const body = latin1(id, msh18);
      const answer = await post(body, contentType);
      expect(answer.status).toBe(200);
      expect(answer.headers['content-type']).toBe(`${contentType.split(';')[0]}; charset=${used}`);
      const [row] = await rowsOf(id);
      expect(row).toMatchObject({ charset: used, patientId: 'PAT-9' });
      expect(row?.raw.equals(body)).toBe(true);
    });

    it('refuses a charset it cannot decode with 415', async () => {
      const answer = await post(buildMessage({ controlId: fresh() }), 'application/hl7-v2; charset=x-klingon');
      expect(answer.status).toBe(415);
      expect(answer.json()).toMatchObject({ status: 415, detail: expect.stringContaining('x-klingon') });
    });
  });

  describe('limits', () => {
    it.each([
      ['application/json', 'application/json'],
      ['text/html', 'text/html'],
      // The types a browser may send cross-site without a preflight.
      ['text/plain', 'text/plain; charset=utf-8'],
      ['a form', 'application/x-www-form-urlencoded'],
      ['no Content-Type', ''],
    ])('refuses %s with a 415 problem and stores nothing', async (_name, type) => {
      const id = fresh();
      const answer = await post(buildMessage({ controlId: id }), type);
      expect(answer.status).toBe(415);
      expect(answer.headers['content-type']).toBe('application/problem+json; charset=utf-8');
      expect(answer.json()).toMatchObject({ type: 'about:blank', title: 'Unsupported Media Type', status: 415 });
      expect(await rowsOf(id)).toHaveLength(0);
    });

    it('refuses a body over https.maxMessageBytes with a 413 problem and stores nothing', async () => {
      const id = fresh();
      const body = buildMessage({ controlId: id, note: 'x'.repeat(MAX) });
      const answer = await post(body);
      expect(answer.status).toBe(413);
      expect(answer.headers['content-type']).toBe('application/problem+json; charset=utf-8');
      expect(answer.json()).toMatchObject({ status: 413, detail: expect.stringContaining(String(MAX)) });
      expect(await rowsOf(id)).toHaveLength(0);
    });

    it('takes a body just under the limit', async () => {
      const id = fresh();
      const head = buildMessage({ controlId: id, note: '' });
      const answer = await post(buildMessage({ controlId: id, note: 'y'.repeat(MAX - head.length) }));
      expect(answer.status).toBe(200);
    });
  });

  describe('mutual TLS', () => {
    it('takes a listed client certificate instead of a key and stores its subject', async () => {
      const lab = pki.client(LAB);
      const id = fresh();
      const answer = await post(buildMessage({ controlId: id }), 'application/hl7-v2', { key: lab.key, cert: lab.cert });
      expect(answer.status).toBe(200);
      expect((await rowsOf(id))[0]).toMatchObject({ transport: 'https', tlsClientSubject: LAB_SUBJECT });
    });

    it('stores no subject when the request came with a key and no certificate', async () => {
      const id = fresh();
      expect((await post(buildMessage({ controlId: id }))).status).toBe(200);
      expect((await rowsOf(id))[0]?.tlsClientSubject).toBeNull();
    });
  });

  it('kept the key, message content and patient identifiers out of the logs', () => {
    const logs = t.logs.join('\n');
    expect(logs).toContain('"route":"/hl7"');
    expect(logs).not.toContain(KEY);
    expect(logs).not.toMatch(/PAT-\d/);
    expect(logs).not.toMatch(/PID\||MÜLLER|M\\u00dcLLER|TESTPATIENT/);
    expect(logs).not.toMatch(/authorization/i);
  });
});

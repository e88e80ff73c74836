import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app-harness.ts';
import { batchAnswers, corpusDir, corpusRows, expectationOf, mshFields, type CorpusRow } from '../support/corpus.ts';
import { send } from '../support/https-client.ts';
import { createTestDatabase } from '../support/mariadb.ts';
import { createTestPki, type TestPki } from '../support/tls.ts';
import { fullRows } from '../support/stored-rows.ts';

// Every file of the public corpus POSTed over real HTTPS into MariaDB (the embedded store without
// it), checked against the same expectations as the MLLP door (test/support/corpus.ts). Over HTTP
// every message is answered, whatever MSH-15 says, and the status follows the cause.

const KEY = 'hl7k_corpus-key-6d12';
const mariadb = await createTestDatabase('https_corpus');

/** The MLLP framing cases hold 0x0B/0x1C bytes: as an HTTP body they are not a message. */
function httpExpectation(row: CorpusRow): 'accept' | 'reject' {
  return row.file.includes('derived__mllp_') ? 'reject' : expectationOf(row);
}

/** MSA-1 of every ACK in the body (one, or one per message inside a batch envelope). */
function msaCodes(body: Buffer): string[] {
  const text = body.toString('latin1');
  const separator = text.charAt(3);
  return text
    .split(/\r\n|\r|\n/)
    .filter((segment) => segment.startsWith(`MSA${separator}`))
    .map((segment) => segment.split(separator)[1] ?? '');
}

describe(`public corpus through HTTPS (${mariadb ? 'mariadb' : 'sqlite'})`, () => {
  let pki: TestPki;
  let t: TestApp;

  beforeAll(async () => {
    pki = createTestPki();
    t = await startTestApp(mariadb?.config ?? 'sqlite', {
      // The corpus reuses MSH-10 values across unrelated files: store conflicting content too.
      hl7: { duplicates: { onConflict: 'accept' } },
      https: {
        enabled: true,
        tls: { keyFile: pki.server.keyFile, certFile: pki.server.certFile },
        apiKeys: [{ name: 'corpus', sha256: createHash('sha256').update(KEY).digest('hex'), roles: ['ingest'] }],
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    await mariadb?.drop();
    pki?.cleanup();
  });

  it.each(corpusRows)('$file → $expected', async (row) => {
    const bytes = readFileSync(join(corpusDir, row.file));
    const want = httpExpectation(row);
    const answer = await send({
      port: t.httpsPort ?? 0,
      ca: pki.ca,
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/hl7-v2' },
      body: bytes,
    });
    const codes = msaCodes(answer.body);
    const envelope = /^(FHS|BHS)/.test(answer.text);
    expect(answer.headers['content-type'], row.file).toMatch(/^application\/hl7-v2(; charset=.+)?$/);
    const mixed = batchAnswers[row.file];
    if (mixed !== undefined) {
      expect(answer.status, row.file).toBe(200);
      expect(codes, `${row.file}: ${mixed.why}`).toEqual(mixed.acks);
    } else if (want === 'accept') {
      expect(answer.status, `${row.file}: ${row.notes}`).toBe(200);
      expect(codes.length, `${row.file} got no ACK`).toBeGreaterThan(0);
      for (const code of codes) expect(['AA', 'CA']).toContain(code);
      if (!envelope) {
        const stored = await fullRows(t.app.store, { controlId: mshFields(bytes)[9], transport: 'https', limit: 500 });
        expect(stored?.some((r) => r.status === 'received' && r.raw.equals(bytes)), `${row.file} stored`).toBe(true);
      }
    } else {
      // A batch envelope is 200 (each message's ACK says how it went); a single refusal is a 4xx.
      expect(envelope ? [200] : [400, 422], `${row.file}: ${row.notes}`).toContain(answer.status);
      if (!envelope) expect(codes, row.file).toHaveLength(1);
      for (const code of codes) expect(['AE', 'AR', 'CE', 'CR'], `${row.file}: ${row.notes}`).toContain(code);
    }
  });

  it('kept every corpus body and patient identifier out of the logs', () => {
    const logs = t.logs.join('\n');
    expect(logs).not.toMatch(/PID\|/);
    expect(logs).not.toMatch(/OBX\|/);
    expect(logs).not.toContain(KEY);
  });
});

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app-harness.ts';
import { createTestDatabase } from '../support/mariadb.ts';
import { buildMessage } from '../support/messages.ts';
import { openRawPeer, readAck } from '../support/mllp-raw.ts';

// Every file of the public corpus (third-party messages, see fixtures/corpus/README.md) through
// the MLLP door into MariaDB, checked against its MANIFEST expectation.

const corpusDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'corpus');

type Row = { file: string; expected: 'accept' | 'reject'; notes: string };

const rows: Row[] = readFileSync(join(corpusDir, 'MANIFEST.tsv'), 'latin1')
  .split('\n')
  .slice(1)
  .filter((line) => line.trim() !== '')
  .map((line) => {
    const cols = line.split('\t');
    return { file: cols[0] ?? '', expected: cols[6] === 'accept' ? 'accept' : 'reject', notes: cols[7] ?? '' };
  });

// Where the service's documented defaults differ from the MANIFEST's MSH-level expectation.
// Each entry says why; the MANIFEST README names these cases as configuration choices.
const defaultsDiffer: Record<string, { expected: 'accept' | 'reject'; why: string }> = {
  'valid/hapi__EscapeTest_ORU_FT_br_H_N.hl7': { expected: 'reject', why: 'ORU without PID (required by default)' },
  'valid/hapi__NewPipeParserTest_ADT_A08_v22.hl7': { expected: 'reject', why: 'ADT without PID (required by default)' },
  'valid/nodehl7__NTE_escapes_F_S_R_T_E_v27.hl7': { expected: 'reject', why: 'ADT without PID' },
  'valid/nodehl7__NTE_hex_escape_X4869_v27.hl7': { expected: 'reject', why: 'ADT without PID' },
  'valid/nodehl7__NTE_control_escapes_C_H_M_N_Z_v27.hl7': { expected: 'reject', why: 'ADT without PID' },
  'valid/nodehl7client__MSH_only_ADT_A01_v271.hl7': { expected: 'reject', why: 'ADT without PID' },
  'valid/pythonhl7__rep_sample_hl7_repetitions_subcomponents.hl7': { expected: 'reject', why: 'ORU without OBR' },
  'valid/pythonhl7__sample_batch_BHS_BTS.hl7': { expected: 'reject', why: 'batches (BHS) are not supported yet: AR' },
  'valid/pythonhl7__sample_file_FHS_BHS_BTS_FTS.hl7': { expected: 'reject', why: 'batches (FHS) are not supported yet: AR' },
  'valid/pythonhl7__sample_file1_two_batches_three_messages.hl7': { expected: 'reject', why: 'batches not supported yet' },
};

/** MSH fields as written (index i is MSH-(i+1)), read independently of the service's parser. */
function mshFields(bytes: Buffer): string[] {
  const first = bytes.toString('latin1').split(/\r\n|\r|\n/)[0] ?? '';
  return first.startsWith('MSH') ? ['MSH', ...first.slice(4).split(first.charAt(3))] : [];
}

/** MSH-15/MSH-16 ask for no answer to an accepted message (enhanced mode, decisions.md). */
function isSilentByRequest(msh: string[]): boolean {
  const [msh15 = '', msh16 = ''] = [msh[14], msh[15]];
  return (msh15 === 'NE' || msh15 === 'ER') && ['', 'NE', 'ER'].includes(msh16);
}

const mariadb = await createTestDatabase('corpus');

// On MariaDB when it is reachable (always in CI), else on the embedded store.
describe(`public corpus through MLLP (${mariadb ? 'mariadb' : 'sqlite'})`, () => {
  let t: TestApp;
  let probeCount = 0;

  beforeAll(async () => {
    // The corpus reuses MSH-10 values across unrelated files: store conflicting content too.
    t = await startTestApp(mariadb?.config ?? 'sqlite', { mllp: { frameTimeoutMs: 500 }, hl7: { duplicates: { onConflict: 'accept' } } });
  });
  afterAll(async () => {
    await t?.close();
    await mariadb?.drop();
  });

  /** Sends one framed file, then a probe: frames are answered in order, so the probe's reply marks the end. */
  async function exchangeFramed(payload: Buffer) {
    const probeId = `PROBE-${++probeCount}`;
    const peer = await openRawPeer(t.port);
    peer.send(payload);
    peer.send(buildMessage({ controlId: probeId }));
    for (let n = 1; ; n++) {
      const reply = readAck(await peer.reply(n));
      if (reply.controlId === probeId) break;
    }
    peer.end();
    return { replies: peer.replies.slice(0, -1).map(readAck), closed: false };
  }

  /** Raw MLLP cases: the bytes as they are, then our end; collect what came back until close. */
  async function exchangeRaw(payload: Buffer) {
    const peer = await openRawPeer(t.port);
    peer.write(payload);
    peer.end();
    await peer.closed;
    return { replies: peer.replies.map(readAck), closed: true };
  }

  it.each(rows)('$file → $expected', async ({ file, expected, notes }) => {
    const bytes = readFileSync(join(corpusDir, file));
    const want = defaultsDiffer[file]?.expected ?? expected;
    const { replies } = file.endsWith('.bin') ? await exchangeRaw(bytes) : await exchangeFramed(bytes);
    const codes = replies.map((r) => r.code);
    if (want === 'accept') {
      const msh = mshFields(bytes);
      if (codes.length === 0) expect(isSilentByRequest(msh), `${file} got no answer`).toBe(true);
      for (const code of codes) expect(['AA', 'CA']).toContain(code);
      if (!file.endsWith('.bin')) {
        const stored = await t.app.store?.listMessages({ controlId: msh[9], limit: 500 });
        expect(stored?.some((r) => r.status === 'received' && r.raw.equals(bytes)), `${file} stored`).toBe(true);
      }
    } else {
      for (const code of codes) expect(['AE', 'AR', 'CE', 'CR'], `${file}: ${notes}`).toContain(code);
      if (codes.length > 0) expect(replies[0]?.err.length ?? 0).toBeGreaterThan(0);
    }
  });

  it('kept every corpus patient identifier and body out of the logs', () => {
    const logs = t.logs.join('\n');
    expect(logs).not.toMatch(/PID\|/);
    expect(logs).not.toMatch(/OBX\|/);
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app-harness.ts';
import { batchAnswers, corpusDir, corpusRows as rows, defaultsDiffer, mshFields } from '../support/corpus.ts';
import { createTestDatabase } from '../support/mariadb.ts';
import { buildMessage } from '../support/messages.ts';
import { openRawPeer, readAck } from '../support/mllp-raw.ts';
import { fullRows } from '../support/stored-rows.ts';

// Every file of the public corpus (third-party messages, see fixtures/corpus/README.md) through
// the MLLP door into MariaDB, checked against its MANIFEST expectation (test/support/corpus.ts).

/** MSA-1 of every ACK in a reply: one, or one per message inside a batch envelope (FHS/BHS … BTS/FTS). */
function msaCodes(reply: Buffer): string[] {
  const text = reply.toString('latin1');
  const separator = text.charAt(3);
  return text
    .split('\r')
    .filter((segment) => segment.startsWith(`MSA${separator}`))
    .map((segment) => segment.split(separator)[1] ?? '');
}

/** The messages of a batch file (MSH up to the next MSH or envelope segment); [bytes] for a single message. */
function messagesOf(bytes: Buffer): Buffer[] {
  const text = bytes.toString('latin1');
  if (!/^(FHS|BHS)/.test(text)) return [bytes];
  const starts = [...text.matchAll(/(?<=^|\r|\n)(MSH|BTS|BHS|FTS)/g)].map((m) => ({ at: m.index ?? 0, id: m[1] }));
  return starts.flatMap((s, i) => (s.id === 'MSH' ? [bytes.subarray(s.at, starts[i + 1]?.at ?? bytes.length)] : []));
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
    return { replies: peer.replies.slice(0, -1), closed: false };
  }

  /** Raw MLLP cases: the bytes as they are, then our end; collect what came back until close. */
  async function exchangeRaw(payload: Buffer) {
    const peer = await openRawPeer(t.port);
    peer.write(payload);
    peer.end();
    await peer.closed;
    return { replies: peer.replies, closed: true };
  }

  it.each(rows)('$file → $expected', async ({ file, expected, notes }) => {
    const bytes = readFileSync(join(corpusDir, file));
    const want = defaultsDiffer[file]?.expected ?? expected;
    const { replies } = file.endsWith('.bin') ? await exchangeRaw(bytes) : await exchangeFramed(bytes);
    const codes = replies.flatMap(msaCodes);
    const mixed = batchAnswers[file];
    if (mixed !== undefined) {
      expect(replies, file).toHaveLength(1);
      expect(codes, `${file}: ${mixed.why}`).toEqual(mixed.acks);
    } else if (want === 'accept') {
      const msh = mshFields(bytes);
      if (codes.length === 0) expect(isSilentByRequest(msh), `${file} got no answer`).toBe(true);
      for (const code of codes) expect(['AA', 'CA']).toContain(code);
      // A batch file: one ACK per message in one envelope, each message stored as its own row.
      const messages = file.endsWith('.bin') ? [] : messagesOf(bytes);
      if (messages.length > 0 && messages[0] !== bytes) expect(codes).toHaveLength(messages.length);
      for (const message of messages) {
        const stored = await fullRows(t.app.store, { controlId: mshFields(message)[9], limit: 500 });
        expect(stored?.some((r) => r.status === 'received' && r.raw.equals(message)), `${file} stored`).toBe(true);
      }
    } else {
      for (const code of codes) expect(['AE', 'AR', 'CE', 'CR'], `${file}: ${notes}`).toContain(code);
      if (codes.length > 0) expect(readAck(replies[0] as Buffer).err.length).toBeGreaterThan(0);
    }
  });

  it('kept every corpus patient identifier and body out of the logs', () => {
    const logs = t.logs.join('\n');
    expect(logs).not.toMatch(/PID\|/);
    expect(logs).not.toMatch(/OBX\|/);
  });
});

import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client, Message, type InboundResponse } from 'node-hl7-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSend } from '../../src/cli/send.ts';
import { startTestApp, type TestApp } from '../support/app-harness.ts';
import { createTestDatabase } from '../support/mariadb.ts';
import { buildMessage } from '../support/messages.ts';

// The same exchange with MLLP clients we did not write: node-hl7-client's Client (also behind
// `npm run send`) and Debian's python3-hl7 `mllp_send`.

const run = promisify(execFile);
const mllpSend = ['/usr/bin/mllp_send', '/usr/local/bin/mllp_send'].find((p) => existsSync(p));
const mariadb = await createTestDatabase('clients');

if (!mllpSend) process.stderr.write('mllp_send not found (apt-get install python3-hl7): SKIPPING its test\n');

// On MariaDB when it is reachable (always in CI), else on the embedded store.
describe(`real MLLP clients (${mariadb ? 'mariadb' : 'sqlite'})`, () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp(mariadb?.config ?? 'sqlite');
  });
  afterAll(async () => {
    await t?.close();
    await mariadb?.drop();
  });

  it('node-hl7-client Client gets AA for each message on one connection, stored once', async () => {
    const client = new Client({ host: '127.0.0.1' });
    const acks: InboundResponse[] = [];
    const ids = ['NHC-1', 'NHC-2', 'NHC-3'];
    let answered: (response: InboundResponse) => void = () => undefined;
    const connection = client.createConnection({ port: t.port, waitAck: true }, async (response) => answered(response));
    // The Client does not send its queue on ACKs, only on connect: send the next after each ACK.
    for (const id of ids) {
      const ack = new Promise<InboundResponse>((resolve) => (answered = resolve));
      await connection.sendMessage(new Message({ text: buildMessage({ controlId: id }) }));
      acks.push(await ack);
    }
    await connection.close();
    expect(acks.map((a) => a.getMessage().get('MSA.1').toString())).toEqual(['AA', 'AA', 'AA']);
    expect(acks.map((a) => a.getMessage().get('MSA.2').toString())).toEqual(ids);
    for (const id of ids) expect(await t.app.store?.listMessages({ controlId: id })).toHaveLength(1);
  });

  it('`npm run send` (runSend) prints one line per file with its ACK code', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hl7-send-'));
    const good = join(dir, 'good.hl7');
    const refused = join(dir, 'refused.hl7');
    writeFileSync(good, buildMessage({ controlId: 'SEND-1' }));
    writeFileSync(refused, buildMessage({ controlId: 'SEND-2', type: 'ORM', event: 'O01' }));
    const out: string[] = [];
    const code = await runSend([good, refused, '--host', '127.0.0.1', '--port', String(t.port)], {
      out: (l) => out.push(l),
      err: (l) => out.push(l),
    });
    expect(out).toEqual([`${good}\tAA\tSEND-1`, `${refused}\tAR\tSEND-2`]);
    expect(code).toBe(1);
  });

  it('`npm run send` sends an NE/NE message without waiting for an ACK, and goes on with the next file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hl7-send-'));
    const silent = join(dir, 'silent.hl7');
    const next = join(dir, 'next.hl7');
    writeFileSync(silent, buildMessage({ controlId: 'SEND-NE', msh15: 'NE', msh16: 'NE' }));
    writeFileSync(next, buildMessage({ controlId: 'SEND-3' }));
    const out: string[] = [];
    const io = { out: (l: string) => out.push(l), err: (l: string) => out.push(l) };
    const code = await runSend([silent, next, '--port', String(t.port), '--timeout', '3000'], io);
    expect(out).toEqual([`${silent}	SENT	SEND-NE (MSH-15/MSH-16 ask for no ACK)`, `${next}	AA	SEND-3`]);
    expect(code).toBe(0);
    for (const id of ['SEND-NE', 'SEND-3']) expect(await t.app.store?.listMessages({ controlId: id })).toHaveLength(1);
  });

  it('`npm run send` reports a missing ACK and sends nothing more on that connection', async () => {
    const silent = createServer((socket) => socket.resume());
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    const port = (silent.address() as { port: number }).port;
    const dir = mkdtempSync(join(tmpdir(), 'hl7-send-'));
    const files = ['a.hl7', 'b.hl7'].map((name, i) => {
      writeFileSync(join(dir, name), buildMessage({ controlId: `SILENT-${i}` }));
      return join(dir, name);
    });
    const out: string[] = [];
    const io = { out: (l: string) => out.push(l), err: (l: string) => out.push(l) };
    const code = await runSend([...files, '--port', String(port), '--timeout', '300'], io);
    silent.close();
    expect(code).toBe(1);
    expect(out).toEqual([`${files[0]}\tERROR\tno ACK within 300 ms`, `${files[1]}\tERROR\tnot sent: an earlier message got no ACK`]);
  });

  it.skipIf(!mllpSend)('mllp_send (python3-hl7) gets AA and the row is stored', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hl7-mllp-send-'));
    const file = join(dir, 'msg.hl7');
    writeFileSync(file, buildMessage({ controlId: 'PYHL7-1' }));
    const { stdout } = await run(mllpSend as string, ['--loose', '--port', String(t.port), '--file', file, '127.0.0.1']);
    expect(stdout).toContain('MSA|AA|PYHL7-1');
    expect(await t.app.store?.listMessages({ controlId: 'PYHL7-1' })).toHaveLength(1);
  });
});

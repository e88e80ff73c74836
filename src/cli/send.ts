import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { Client, Message, type InboundResponse } from 'node-hl7-client';
import { ackCodeFor } from '../hl7/ack.ts';
import { parseMessage } from '../hl7/message.ts';

// `npm run send -- <files...> [--host H] [--port P]`: replays files over MLLP with
// node-hl7-client's Client (a client we did not write) and prints one line per message with the
// ACK code. Exit 0 when every message was accepted (AA/CA) or sent without asking for an ACK, 1
// otherwise. Files are read as UTF-8 unless `--encoding` says otherwise (e.g. latin1).

type Io = { out: (line: string) => void; err: (line: string) => void };

export type SendOptions = { host: string; port: number; timeoutMs: number; encoding: BufferEncoding };

export async function runSend(args: string[], io: Io): Promise<number> {
  const parsed = parseSendArgs(args);
  if (typeof parsed === 'string') {
    io.err(parsed);
    return 2;
  }
  const { files, options } = parsed;
  const session = openSession(options, (ack) => io.out(`(unexpected ACK)\t${ack.code}\t${ack.controlId}`));
  let failures = 0;
  let broken = false;
  try {
    for (const file of files) {
      // Without an awaited ACK the connection's state is unknown: stop sending rather than guess.
      const line: SendLine = broken
        ? { text: `${file}\tERROR\tnot sent: an earlier message got no ACK`, accepted: false, timedOut: true }
        : await sendFile(session, file, options);
      broken ||= line.timedOut;
      if (!line.accepted) failures += 1;
      io.out(line.text);
    }
  } finally {
    await session.close();
  }
  return failures === 0 ? 0 : 1;
}

function parseSendArgs(args: string[]): { files: string[]; options: SendOptions } | string {
  try {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        host: { type: 'string', default: '127.0.0.1' },
        port: { type: 'string', default: '30500' },
        timeout: { type: 'string', default: '10000' },
        encoding: { type: 'string', default: 'utf-8' },
      },
    });
    const port = Number(values.port);
    const timeoutMs = Number(values.timeout);
    if (!Number.isInteger(port) || port < 1 || port > 65535) return `--port must be 1..65535, got ${values.port}`;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) return '--timeout must be a positive number of ms';
    if (!Buffer.isEncoding(values.encoding)) return `--encoding ${values.encoding} is not a Node.js encoding`;
    if (positionals.length === 0) return 'usage: npm run send -- <files...> [--host H] [--port P] [--timeout MS] [--encoding latin1]';
    return { files: positionals, options: { host: values.host, port, timeoutMs, encoding: values.encoding } };
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

type Ack = { code: string; controlId: string };
type Session = {
  /** Resolves with the ACK whose MSA-2 is `controlId`; `expectAck: false` resolves at once with null. */
  send(message: Message, controlId: string, expectAck: boolean, timeoutMs: number): Promise<Ack | null>;
  close(): Promise<void>;
};

/**
 * One kept-open connection. The Client's own waitAck mode would hold every later message until an
 * ACK arrives, which never happens for a message that asked for none (MSH-15/16 NE), so ACKs are
 * paired with their message here, by MSA-2.
 */
function openSession(options: SendOptions, onUnexpected: (ack: Ack) => void): Session {
  const client = new Client({ host: options.host });
  const waiting = new Map<string, Array<(ack: Ack) => void>>();
  const connection = client.createConnection(
    { port: options.port, waitAck: false, encoding: options.encoding, maxConnectionAttempts: 1 },
    async (response: InboundResponse) => {
      const message = response.getMessage();
      const ack = { code: message.get('MSA.1').toString(), controlId: message.get('MSA.2').toString() };
      const resolve = waiting.get(ack.controlId)?.shift();
      if (resolve === undefined) onUnexpected(ack);
      else resolve(ack);
    },
  );
  return {
    async send(message, controlId, expectAck, timeoutMs) {
      if (!expectAck) {
        await connection.sendMessage(message);
        return null;
      }
      const queue = waiting.get(controlId) ?? [];
      waiting.set(controlId, queue);
      const answered = new Promise<Ack>((resolve) => queue.push(resolve));
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no ACK within ${timeoutMs} ms`)), timeoutMs);
      });
      try {
        await connection.sendMessage(message);
        return await Promise.race([answered, timedOut]);
      } finally {
        clearTimeout(timer);
      }
    },
    close: () => connection.close(),
  };
}

type SendLine = { text: string; accepted: boolean; timedOut: boolean };

async function sendFile(session: Session, file: string, options: SendOptions): Promise<SendLine> {
  let message: Message;
  let text: string;
  try {
    text = (await readFile(file, options.encoding)).replace(/\r\n|\n/g, '\r');
    message = new Message({ text });
  } catch (err) {
    return { text: `${file}\tERROR\tcannot read as HL7: ${reason(err)}`, accepted: false, timedOut: false };
  }
  const { controlId, expectAck } = readIntent(text);
  try {
    const ack = await session.send(message, controlId, expectAck, options.timeoutMs);
    if (ack === null) return { text: `${file}\tSENT\t${controlId} (MSH-15/MSH-16 ask for no ACK)`, accepted: true, timedOut: false };
    return { text: `${file}\t${ack.code}\t${ack.controlId}`, accepted: ack.code === 'AA' || ack.code === 'CA', timedOut: false };
  } catch (err) {
    return { text: `${file}\tERROR\t${reason(err)}`, accepted: false, timedOut: true };
  }
}

/**
 * MSH-10 as written (MSA-2 echoes it so), and whether an accepted message is answered at all:
 * with MSH-15 and MSH-16 NE (or NE/ER) the listener stores it and stays silent.
 */
function readIntent(text: string): { controlId: string; expectAck: boolean } {
  const parsed = parseMessage(Buffer.from(text, 'utf8'), { defaultCharset: 'UTF-8' });
  const header = parsed.ok ? parsed.message.header : parsed.header;
  const msh = text.split('\r', 1)[0] ?? '';
  const controlId = msh.startsWith('MSH') ? (msh.split(msh.charAt(3))[9] ?? '') : '';
  return { controlId, expectAck: ackCodeFor(header, 'accept', 'hl7') !== null };
}

function reason(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

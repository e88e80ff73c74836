import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { Client, Message, type InboundResponse } from 'node-hl7-client';

// `npm run send -- <files...> [--host H] [--port P]`: replays files over MLLP with
// node-hl7-client's Client (a client we did not write) and prints one line per message with the
// ACK code. Exit 0 when every message was accepted (AA/CA), 1 otherwise.

type Io = { out: (line: string) => void; err: (line: string) => void };

export type SendOptions = { host: string; port: number; timeoutMs: number; encoding: BufferEncoding };

export async function runSend(args: string[], io: Io): Promise<number> {
  const parsed = parseSendArgs(args);
  if (typeof parsed === 'string') {
    io.err(parsed);
    return 2;
  }
  const { files, options } = parsed;
  const session = openSession(options);
  let failures = 0;
  let broken = false;
  try {
    for (const file of files) {
      // Without an ACK the connection's state is unknown: later ACKs could be taken for the wrong
      // message, so stop sending rather than guess.
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
    if (positionals.length === 0) return 'usage: npm run send -- <files...> [--host H] [--port P] [--timeout MS]';
    return { files: positionals, options: { host: values.host, port, timeoutMs, encoding: values.encoding } };
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

type Session = { send(message: Message, timeoutMs: number): Promise<InboundResponse>; close(): Promise<void> };

/** One kept-open connection; the Client waits for each ACK before sending the next message. */
function openSession(options: SendOptions): Session {
  const client = new Client({ host: options.host });
  const waiting: Array<(response: InboundResponse) => void> = [];
  const connection = client.createConnection(
    { port: options.port, waitAck: true, encoding: options.encoding, maxConnectionAttempts: 1 },
    async (response) => {
      waiting.shift()?.(response);
    },
  );
  return {
    async send(message, timeoutMs) {
      const answered = new Promise<InboundResponse>((resolve) => waiting.push(resolve));
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
  try {
    const text = (await readFile(file, options.encoding)).replace(/\r\n|\n/g, '\r');
    message = new Message({ text });
  } catch (err) {
    return { text: `${file}\tERROR\tcannot read as HL7: ${reason(err)}`, accepted: false, timedOut: false };
  }
  try {
    const ack = (await session.send(message, options.timeoutMs)).getMessage();
    const code = ack.get('MSA.1').toString();
    const controlId = ack.get('MSA.2').toString();
    return { text: `${file}\t${code}\t${controlId}`, accepted: code === 'AA' || code === 'CA', timedOut: false };
  } catch (err) {
    return { text: `${file}\tERROR\t${reason(err)}`, accepted: false, timedOut: true };
  }
}

function reason(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

import { connect, type Socket } from 'node:net';
import { once } from 'node:events';

// A deliberately dumb MLLP peer for the framing cases real clients cannot produce (garbage,
// missing end blocks, slow senders). It records every framed reply and whether the server closed.
// Replies are cut on 0x1C 0x0D without any shared code from src/.

export type RawPeer = {
  socket: Socket;
  write(bytes: Buffer | string): void;
  send(message: Buffer | string): void;
  /** Resolves with the n-th reply (1-based) once it has arrived. */
  reply(n: number): Promise<Buffer>;
  replies: Buffer[];
  closed: Promise<void>;
  end(): void;
};

export async function openRawPeer(port: number, host = '127.0.0.1'): Promise<RawPeer> {
  const socket = connect({ host, port });
  await once(socket, 'connect');
  const replies: Buffer[] = [];
  const waiters = new Map<number, (b: Buffer) => void>();
  let pending = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    for (;;) {
      const end = pending.indexOf(Buffer.from([0x1c, 0x0d]));
      if (end < 0) break;
      const start = pending.indexOf(0x0b);
      replies.push(pending.subarray(start + 1, end));
      pending = pending.subarray(end + 2);
      waiters.get(replies.length)?.(replies[replies.length - 1] as Buffer);
    }
  });
  socket.on('error', () => undefined);
  // Not events.once: it rejects on 'error' (ECONNRESET when the service is killed), and a reset
  // connection is still a closed one.
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return {
    socket,
    replies,
    closed,
    write: (bytes) => socket.write(bytes),
    send: (message) =>
      socket.write(Buffer.concat([Buffer.from([0x0b]), Buffer.from(message), Buffer.from([0x1c, 0x0d])])),
    reply(n) {
      const have = replies[n - 1];
      if (have) return Promise.resolve(have);
      return new Promise((resolve, reject) => {
        waiters.set(n, resolve);
        void closed.then(() => {
          const late = replies[n - 1];
          if (late) resolve(late);
          else reject(new Error(`connection closed before reply ${n} (got ${replies.length})`));
        });
      });
    },
    end: () => socket.end(),
  };
}

/** Reads MSA-1, MSA-2 and the ERR segments of an ACK, whatever its delimiters. */
export function readAck(ack: Buffer | string): { code: string; controlId: string; err: string[]; msh: string[] } {
  const text = ack.toString('latin1');
  const segments = text.split('\r').filter((s) => s.length > 0);
  const fieldSep = text.charAt(3);
  const msh = (segments[0] ?? '').split(fieldSep);
  const msa = (segments.find((s) => s.startsWith('MSA')) ?? '').split(fieldSep);
  const err = segments.filter((s) => s.startsWith('ERR'));
  return { code: msa[1] ?? '', controlId: msa[2] ?? '', err, msh };
}

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
  socket.on('error', () => undefined);
  // Not events.once: it rejects on 'error' (ECONNRESET when the service is killed), and a reset
  // connection is still a closed one.
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return {
    socket,
    ...collectReplies(socket, closed),
    closed,
    write: (bytes) => socket.write(bytes),
    send: (message) => socket.write(frame(message)),
    end: () => socket.end(),
  };
}

/** A message in its MLLP frame: 0x0B, the bytes, 0x1C 0x0D. */
export const frame = (message: Buffer | string): Buffer => Buffer.concat([Buffer.from([0x0b]), Buffer.from(message), Buffer.from([0x1c, 0x0d])]);

/**
 * Records every reply framed on `socket` (also a TLSSocket: mllp-tls-peer.ts). `reply(n)` waits for
 * the n-th (1-based); once `closed` has settled without it, it rejects, with `why()` in the message.
 */
export function collectReplies(socket: Socket, closed: Promise<unknown>, why: () => string = () => '') {
  const replies: Buffer[] = [];
  const waiters = new Map<number, (b: Buffer) => void>();
  let pending = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    for (let end = pending.indexOf('\x1c\r'); end >= 0; end = pending.indexOf('\x1c\r')) {
      replies.push(pending.subarray(pending.indexOf(0x0b) + 1, end));
      pending = pending.subarray(end + 2);
      waiters.get(replies.length)?.(replies[replies.length - 1] as Buffer);
    }
  });
  function reply(n: number): Promise<Buffer> {
    const have = replies[n - 1];
    if (have) return Promise.resolve(have);
    return new Promise((resolve, reject) => {
      waiters.set(n, resolve);
      void closed.then(() => {
        const late = replies[n - 1];
        if (late) resolve(late);
        else reject(new Error(`connection closed before reply ${n} (got ${replies.length}${why()})`));
      });
    });
  }
  return { replies, reply };
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

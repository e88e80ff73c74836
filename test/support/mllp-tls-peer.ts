import { connect, type TLSSocket } from 'node:tls';

// An MLLP peer over TLS (node:tls, nothing from src/), for the mutual-TLS tests: it records every
// framed reply, whether the handshake completed, and the error that ended the connection.

export type TlsPeerOptions = { ca: Buffer; key?: Buffer; cert?: Buffer; host?: string };

export type TlsPeer = {
  socket: TLSSocket;
  /** Resolves once our side of the handshake is done (TLS 1.3: the server may still refuse us). */
  secure: Promise<void>;
  /** Raw bytes, no framing. */
  write(bytes: Buffer | string): void;
  send(message: Buffer | string): void;
  /** Resolves with the n-th reply (1-based), or rejects when the connection closes first. */
  reply(n: number): Promise<Buffer>;
  replies: Buffer[];
  /** Resolves on close with the error that ended it, if any. */
  closed: Promise<{ error: NodeJS.ErrnoException | undefined }>;
  end(): void;
};

export function connectTls(port: number, options: TlsPeerOptions): TlsPeer {
  const socket = connect({ host: options.host ?? '127.0.0.1', port, ca: options.ca, key: options.key, cert: options.cert });
  const replies: Buffer[] = [];
  const waiters = new Map<number, (b: Buffer) => void>();
  let pending = Buffer.alloc(0);
  let error: NodeJS.ErrnoException | undefined;
  socket.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    for (let end = pending.indexOf('\x1c\r'); end >= 0; end = pending.indexOf('\x1c\r')) {
      replies.push(pending.subarray(pending.indexOf(0x0b) + 1, end));
      pending = pending.subarray(end + 2);
      waiters.get(replies.length)?.(replies[replies.length - 1] as Buffer);
    }
  });
  socket.on('error', (err: NodeJS.ErrnoException) => (error ??= err));
  const closed = new Promise<{ error: NodeJS.ErrnoException | undefined }>((resolve) => socket.once('close', () => resolve({ error })));
  const secure = new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', () => resolve());
    void closed.then(() => reject(new Error(`closed before the TLS handshake completed: ${error?.code ?? 'no error'}`)));
  });
  secure.catch(() => undefined); // a refused handshake is what some tests want; they await `closed`
  return {
    socket,
    secure,
    replies,
    closed,
    write: (bytes) => socket.write(bytes),
    send: (message) => socket.write(Buffer.concat([Buffer.from([0x0b]), Buffer.from(message), Buffer.from([0x1c, 0x0d])])),
    reply(n) {
      const have = replies[n - 1];
      if (have) return Promise.resolve(have);
      return new Promise((resolve, reject) => {
        waiters.set(n, resolve);
        void closed.then(() => {
          const late = replies[n - 1];
          if (late) resolve(late);
          else reject(new Error(`connection closed before reply ${n} (got ${replies.length}; ${error?.code ?? 'no error'})`));
        });
      });
    },
    end: () => socket.end(),
  };
}

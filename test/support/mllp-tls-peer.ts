import { connect, type TLSSocket } from 'node:tls';
import { collectReplies, frame } from './mllp-raw.ts';

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
  let error: NodeJS.ErrnoException | undefined;
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
    ...collectReplies(socket, closed, () => `; ${error?.code ?? 'no error'}`),
    closed,
    write: (bytes) => socket.write(bytes),
    send: (message) => socket.write(frame(message)),
    end: () => socket.end(),
  };
}

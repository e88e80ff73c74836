import type { Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import { formatCertSubject } from '../net/cert-subject.ts';
import type { LoadedTls } from './tls.ts';

// MLLP over TLS. The TCP listener stays a plain net.Server so that the allow-list and the
// connection cap run at accept, before the handshake; an admitted socket is then handed to a
// tls.Server that never listens itself (tls.Server 'connection': "can also be explicitly emitted
// by users to inject connections").
//
// requestClientCert means required (decisions.md): no certificate signed by caFile, no connection.
// Node verifies the chain (socket.authorized); we refuse in 'secureConnection' rather than with
// rejectUnauthorized, because rejectUnauthorized destroys the socket before any of our code runs,
// and the refusal could then not be logged with the peer's address. A refused socket is destroyed
// before a single byte of it is read.

export type TlsGateHooks = {
  /** The handshake completed; `subject` is set only for a verified client certificate. */
  onSecure(socket: TLSSocket, subject: string | null): void;
  onFailure(): void;
};

export type TlsGate = {
  admit(raw: Socket, remote: string): void;
  /** Sockets whose handshake has not completed. */
  readonly pending: number;
  /** Shutdown: ends sockets still in their handshake (they hold no frame yet). */
  destroyPending(): void;
};

export function createTlsGate(tls: LoadedTls, handshakeTimeoutMs: number, hooks: TlsGateHooks, log: Logger): TlsGate {
  const server = createTlsServer({
    key: tls.key,
    cert: tls.cert,
    ...(tls.ca === undefined ? {} : { ca: tls.ca }),
    requestCert: tls.requestCert,
    rejectUnauthorized: false, // checked below, see the top of this file
    handshakeTimeout: handshakeTimeoutMs,
    allowHalfOpen: true,
  });
  // Keyed by the peer's address and port: the tls.Server hands back its own TLSSocket, not ours.
  const pending = new Map<string, Socket>();

  server.on('secureConnection', (socket: TLSSocket) => {
    pending.delete(peerKey(socket));
    const certificate = tls.requestCert ? socket.getPeerCertificate() : null;
    const subject = certificate === null ? null : formatCertSubject(certificate.subject);
    if (tls.requestCert && !socket.authorized) {
      hooks.onFailure();
      const reason = subject === null ? 'no client certificate' : `client certificate refused (${String(socket.authorizationError)})`;
      log.warn({ remote: formatRemote(socket.remoteAddress ?? 'unknown', socket.remotePort), reason, subject }, 'MLLP TLS handshake failed');
      socket.destroy();
      return;
    }
    hooks.onSecure(socket, subject);
  });
  server.on('tlsClientError', (err: NodeJS.ErrnoException & { reason?: string }, socket: TLSSocket) => {
    hooks.onFailure();
    // OpenSSL's reason and Node's code only: never bytes the peer sent.
    log.warn(
      {
        remote: socket.remoteAddress === undefined ? undefined : formatRemote(socket.remoteAddress, socket.remotePort),
        code: err.code,
        reason: err.reason ?? err.message.split('\n')[0],
        authorizationError: socket.authorizationError?.toString(),
      },
      'MLLP TLS handshake failed',
    );
  });

  return {
    admit(raw, remote) {
      const key = peerKey(raw);
      pending.set(key, raw);
      raw.once('close', () => {
        if (pending.get(key) !== raw) return;
        pending.delete(key);
        log.debug({ remote }, 'MLLP TLS connection closed before its handshake completed');
      });
      server.emit('connection', raw);
    },
    get pending() {
      return pending.size;
    },
    destroyPending() {
      for (const raw of pending.values()) raw.destroy();
    },
  };
}

function peerKey(socket: Socket): string {
  return `${socket.remoteAddress ?? ''}|${socket.remotePort ?? ''}`;
}

export function formatRemote(address: string, port: number | undefined): string {
  return `${address.includes(':') ? `[${address}]` : address}:${port ?? 0}`;
}

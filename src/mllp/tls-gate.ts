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
//
// A socket is handed to TLS only once its first byte arrives (Node's TLSSocket takes bytes already
// read from the socket it wraps). A peer that closes before sending anything is a port probe (the
// health check, a load balancer), not a failed handshake: it is closed and logged at debug level,
// never counted. Anything else that does not end in a verified handshake is a failure.

export type TlsGateHooks = {
  /** The handshake completed; `subject` is set only for a verified client certificate. */
  onSecure(socket: TLSSocket, subject: string | null): void;
  onFailure(): void;
};

export type TlsGate = {
  admit(raw: Socket, remote: string): void;
  /** Sockets whose handshake has not completed (including those that have sent nothing yet). */
  readonly pending: number;
  /** Shutdown: ends sockets still in their handshake (they hold no frame yet); none of them counts as failed. */
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
  let stopping = false;

  function fail(fields: Record<string, unknown>): void {
    if (stopping) return;
    hooks.onFailure();
    log.warn(fields, 'MLLP TLS handshake failed');
  }

  server.on('secureConnection', (socket: TLSSocket) => {
    pending.delete(peerKey(socket));
    const certificate = tls.requestCert ? socket.getPeerCertificate() : null;
    const subject = certificate === null ? null : formatCertSubject(certificate.subject);
    if (tls.requestCert && !socket.authorized) {
      const reason = subject === null ? 'no client certificate' : `client certificate refused (${String(socket.authorizationError)})`;
      fail({ remote: formatRemote(socket.remoteAddress ?? 'unknown', socket.remotePort), reason, subject });
      socket.destroy();
      return;
    }
    hooks.onSecure(socket, subject);
  });
  server.on('tlsClientError', (err: NodeJS.ErrnoException & { reason?: string }, socket: TLSSocket) => {
    pending.delete(peerKey(socket));
    // OpenSSL's reason and Node's code only: never bytes the peer sent.
    fail({
      remote: socket.remoteAddress === undefined ? undefined : formatRemote(socket.remoteAddress, socket.remotePort),
      code: err.code,
      reason: err.reason ?? err.message.split('\n')[0],
      authorizationError: socket.authorizationError?.toString(),
    });
    // Node leaves the socket open after some of these (a handshake timeout): it would hold a
    // connection slot for ever.
    socket.destroy();
  });

  /** Waits for the peer's first byte, then starts the handshake; a peer that leaves first was a probe. */
  function awaitFirstByte(raw: Socket, remote: string): void {
    let handedOff = false;
    const silent = setTimeout(() => {
      fail({ remote, reason: `nothing received within ${handshakeTimeoutMs} ms` });
      raw.destroy();
    }, handshakeTimeoutMs);
    const onData = (first: Buffer): void => {
      handedOff = true;
      clearTimeout(silent);
      raw.off('end', onEnd);
      raw.pause();
      raw.unshift(first);
      server.emit('connection', raw);
    };
    // Half-open sockets are allowed; this one can never complete a handshake.
    const onEnd = (): void => void raw.destroy();
    raw.once('data', onData);
    raw.once('end', onEnd);
    raw.on('error', () => undefined); // a reset before the first byte is a probe too; after it, TLS reports
    raw.once('close', () => {
      clearTimeout(silent);
      if (handedOff) return;
      raw.off('data', onData);
      log.debug({ remote }, 'MLLP TLS connection closed before sending a byte (a port probe)');
    });
  }

  return {
    admit(raw, remote) {
      const key = peerKey(raw);
      pending.set(key, raw);
      raw.once('close', () => {
        if (pending.get(key) === raw) pending.delete(key);
      });
      awaitFirstByte(raw, remote);
    },
    get pending() {
      return pending.size;
    },
    destroyPending() {
      stopping = true;
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

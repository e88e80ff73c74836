import type { AckMode } from '../hl7/ack.ts';

// What a door hands to ingest: the bytes it received, and where they came from.

export type IngestSource = {
  transport: 'mllp' | 'https';
  remoteAddress: string | null;
  connectionId?: number;
  /** Subject of the peer's verified TLS client certificate, when there is one. */
  tlsClientSubject?: string | null;
  /** Overrides hl7.ackMode for this door: HTTP passes 'always' (a request always gets an answer). */
  ackMode?: AckMode;
};

export type IngestInput =
  /** `charset`: declared by the transport (HTTP Content-Type); wins over MSH-18. */
  | { kind: 'message'; bytes: Buffer; charset?: string | undefined }
  | { kind: 'oversize'; head: Buffer; bytes: number };

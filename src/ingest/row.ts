import { hash } from 'node:crypto';
import type { NewMessage } from '../store/store.ts';
import type { IngestSource } from './source.ts';
import type { Verdict } from './verdict.ts';

// The row a message becomes, and the keys that make duplicates one row.

export function rowBase(bytes: Buffer, verdict: Verdict, source: IngestSource, receivedAt: Date): NewMessage {
  const h = verdict.header;
  return {
    dedupKey: null,
    controlId: orNull(h?.controlId),
    sendingApplication: orNull(h?.sendingApplication),
    sendingFacility: orNull(h?.sendingFacility),
    receivingApplication: orNull(h?.receivingApplication),
    receivingFacility: orNull(h?.receivingFacility),
    messageType: orNull(h?.messageType),
    triggerEvent: orNull(h?.triggerEvent),
    version: orNull(h?.version),
    patientId: verdict.patientId,
    patientAuthority: verdict.patientAuthority,
    transport: source.transport,
    remoteAddress: source.remoteAddress,
    tlsClientSubject: source.tlsClientSubject ?? null,
    receivedAt,
    charset: verdict.charset,
    raw: bytes,
    contentHash: sha256(bytes),
    ackCode: null,
    ack: null,
    status: 'received',
    error: null,
    processingState: null,
    orderingKey: null,
  };
}

export function dedupKey(row: NewMessage): string {
  return sha256([row.sendingApplication ?? '', row.sendingFacility ?? '', row.controlId ?? ''].join('\u001f'));
}

/** With `onConflict: accept`, a second content under the same MSH-10 is keyed by its content too. */
export function conflictKey(key: string, contentHash: string): string {
  return sha256(`${key}\u001f${contentHash}`);
}

/** One-shot crypto.hash: no Hash object per call (two digests per message on the hot path). */
export function sha256(data: Buffer | string): string {
  return hash('sha256', data, 'hex');
}

export function orNull(value: string | undefined): string | null {
  return value === undefined || value === '' ? null : value;
}

/** An accepted row waits to be processed, in its lane. Refused rows and duplicates never do. */
export function waitingRow(row: NewMessage, orderingKey: ((row: NewMessage) => string) | undefined): NewMessage {
  return { ...row, processingState: 'received', orderingKey: orderingKey?.(row) ?? null };
}

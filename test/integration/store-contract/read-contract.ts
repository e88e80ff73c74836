import { expect, it } from 'vitest';
import type { ExpiryPolicy, MessageFilter, MessageSummary, NewMessage, Store } from '../../../src/store/store.ts';
import { createMemoryStore } from '../../support/memory-store.ts';
import { newRow, uniqueTag, withoutProcessing } from '../../support/rows.ts';

// Reads and retention. Rows are told apart by a tag in `remoteAddress`; each test isolates its rows by
// MSH-10 or by a date range no other test uses, because tests share one table.

const at = (iso: string): Date => new Date(iso);
const tags = (rows: readonly MessageSummary[]): (string | null)[] => rows.map((row) => row.remoteAddress);

async function insertAll(store: Store, rows: readonly NewMessage[]): Promise<void> {
  // One after the other: ids then follow the order of `rows`.
  for (const row of rows) await store.insertMessage(row);
}

function filterRows(controlId: string, other: string): NewMessage[] {
  const pick = <T>(i: number, values: readonly T[]): T => values[i % values.length]!;
  return Array.from({ length: 16 }, (_, i) =>
    newRow({
      controlId: i < 14 ? controlId : other,
      dedupKey: null,
      remoteAddress: `r${i}`,
      sendingApplication: pick(i, ['A1', 'A2']),
      sendingFacility: pick(i >> 1, ['F1', 'F2']),
      messageType: pick(i, ['ADT', 'ORU', 'SIU']),
      triggerEvent: pick(i, ['A01', 'R01', 'S12']),
      patientId: pick(i >> 2, ['P1', 'P2', null]),
      status: pick(i, ['received', 'received', 'rejected']),
      transport: pick(i >> 1, ['mllp', 'https']),
      // Several rows share a millisecond: the order must fall back to id.
      receivedAt: at(`2001-0${1 + (i % 5)}-01T00:00:00.00${i % 2}Z`),
    }),
  );
}

export function readContract(store: () => Store): void {
  it('filters by every field, by date range, alone and combined, exactly as the reference store does', async () => {
    const controlId = uniqueTag('FLT');
    const other = uniqueTag('FLT2');
    const rows = filterRows(controlId, other);
    await insertAll(store(), rows);
    const reference = createMemoryStore();
    await insertAll(reference, rows);
    const filters: MessageFilter[] = [
      {},
      { controlId: other },
      { sendingApplication: 'A2' },
      { sendingFacility: 'F1' },
      { messageType: 'ORU' },
      { triggerEvent: 'S12' },
      { patientId: 'P2' },
      { status: 'rejected' },
      { transport: 'https' },
      { from: at('2001-03-01T00:00:00.000Z') },
      { to: at('2001-03-01T00:00:00.001Z') },
      { from: at('2001-02-01T00:00:00.001Z'), to: at('2001-05-01T00:00:00.000Z') },
      { sendingApplication: 'A1', status: 'received', transport: 'mllp' },
      { messageType: 'ADT', triggerEvent: 'A01', limit: 2 },
    ];
    for (const filter of filters) {
      const scoped = { controlId, ...filter };
      const expected = await reference.listMessages(scoped);
      expect(expected.length, JSON.stringify(filter)).toBeLessThan(rows.length);
      expect(tags(await store().listMessages(scoped)), JSON.stringify(filter)).toEqual(tags(expected));
      const count = await reference.countMessages({ ...scoped, limit: undefined });
      await expect(store().countMessages({ ...scoped, limit: undefined })).resolves.toBe(count);
    }
  });

  it('pages with a keyset without gaps or repeats when rows share received_at', async () => {
    const controlId = uniqueTag('PAGE');
    const rows = Array.from({ length: 11 }, (_, i) =>
      newRow({ controlId, dedupKey: null, remoteAddress: `p${i}`, receivedAt: at(`2002-01-0${1 + (i % 3)}T12:00:00.000Z`) }),
    );
    await insertAll(store(), rows);
    const all = await store().listMessages({ controlId, limit: 100 });
    expect(all).toHaveLength(11);
    const key = (row: MessageSummary): [number, number] => [row.receivedAt.getTime(), row.id];
    for (let i = 1; i < all.length; i += 1) {
      const [t0, id0] = key(all[i - 1]!);
      const [t1, id1] = key(all[i]!);
      expect(t0 > t1 || (t0 === t1 && id0 > id1)).toBe(true);
    }
    const pages: MessageSummary[][] = [];
    let after: MessageFilter['after'];
    for (;;) {
      const page = await store().listMessages({ controlId, limit: 3, ...(after ? { after } : {}) });
      if (page.length === 0) break;
      pages.push(page);
      const last = page[page.length - 1]!;
      after = { receivedAt: last.receivedAt, id: last.id };
    }
    expect(pages.map((page) => page.length)).toEqual([3, 3, 3, 2]);
    expect(pages.flat().map((row) => row.id)).toEqual(all.map((row) => row.id));
    await expect(store().countMessages({ controlId, after: { receivedAt: all[4]!.receivedAt, id: all[4]!.id } })).resolves.toBe(6);
  });

  it('lists rows without their blobs: every other column, and the blobs\' sizes in bytes', async () => {
    const controlId = uniqueTag('SIZE');
    const withAck = newRow({ controlId, ack: Buffer.alloc(70_000, 0x41), patientAuthority: 'HOSP&1.2.3&ISO' });
    const noAck = newRow({ controlId, dedupKey: null, status: 'rejected', ackCode: null, ack: null, receivedAt: at('2003-01-01T00:00:00.000Z') });
    await insertAll(store(), [withAck, noAck]);
    const listed = await store().listMessages({ controlId });
    expect(listed.map(withoutProcessing)).toEqual(
      [withAck, noAck].map(({ raw, ack, ...rest }) => ({
        ...withoutProcessing(rest),
        id: expect.any(Number),
        rawBytes: raw.length,
        ackBytes: ack === null ? null : ack.length,
      })),
    );
    for (const row of listed) expect(Object.keys(row)).not.toEqual(expect.arrayContaining(['raw']));
    for (const row of listed) expect(Object.keys(row)).not.toEqual(expect.arrayContaining(['ack']));
  });

  it('gets one message by id, and null for an id that does not exist', async () => {
    const row = newRow({ tlsClientSubject: null, ack: null, ackCode: null });
    const result = await store().insertMessage(row);
    if (!result.inserted) throw new Error('expected an insert');
    expect(withoutProcessing(await store().getMessage(result.id))).toEqual(withoutProcessing({ id: result.id, ...row }));
    await expect(store().getMessage(result.id + 1_000_000)).resolves.toBeNull();
  });

  it('deletes expired rows in chunks, oldest first, per status, keeping a status whose cutoff is null', async () => {
    const day = (d: number): Date => at(`1990-01-${String(d).padStart(2, '0')}T00:00:00.000Z`);
    const rows = [
      ...[1, 3, 5, 7, 9].map((d) => newRow({ remoteAddress: `a${d}`, receivedAt: day(d) })),
      ...[2, 4, 6, 8, 10].map((d) => newRow({ remoteAddress: `r${d}`, receivedAt: day(d), status: 'rejected', dedupKey: null })),
      ...[1, 2].map((d) => newRow({ remoteAddress: `k${d}`, receivedAt: at(`1992-01-0${d}T00:00:00.000Z`) })),
    ];
    // Inserted newest first, so that id order and received_at order disagree.
    await insertAll(store(), [...rows].reverse());
    const era = { from: day(1), to: at('1993-01-01T00:00:00.000Z'), limit: 100 };
    const left = async (): Promise<(string | null)[]> => tags(await store().listMessages(era)).reverse();
    const cutoff = at('1991-01-01T00:00:00.000Z');
    const steps: [ExpiryPolicy, number, string[]][] = [
      [{ acceptedBefore: null, rejectedBefore: cutoff, limit: 2 }, 2, ['a1', 'a3', 'a5', 'r6', 'a7', 'r8', 'a9', 'r10']],
      [{ acceptedBefore: cutoff, rejectedBefore: cutoff, limit: 3 }, 3, ['r6', 'a7', 'r8', 'a9', 'r10']],
      [{ acceptedBefore: day(8), rejectedBefore: null, limit: 10 }, 1, ['r6', 'r8', 'a9', 'r10']],
      [{ acceptedBefore: cutoff, rejectedBefore: cutoff, limit: 100 }, 4, []],
      [{ acceptedBefore: cutoff, rejectedBefore: cutoff, limit: 100 }, 0, []],
      [{ acceptedBefore: null, rejectedBefore: null, limit: 100 }, 0, []],
    ];
    for (const [policy, deleted, remaining] of steps) {
      await expect(store().deleteExpired(policy)).resolves.toBe(deleted);
      expect(await left()).toEqual([...remaining, 'k1', 'k2']);
    }
  });
}

import { afterAll, beforeAll, expect, it } from 'vitest';
import type { InsertResult, NewMessage, Store, Transport } from '../../../src/store/store.ts';
import { StoreUnavailableError } from '../../../src/store/store.ts';
import { newRow, sha256, uniqueTag, withoutProcessing } from '../../support/rows.ts';

// Writes under load: group commit, dedup inside and across groups, batches all-or-nothing.
// `store()` is the store under test; `open()` opens another one on the same database (another
// process, as far as the database can tell), or is absent for an engine that cannot share one.

export type WriteContractOptions = {
  store: () => Store;
  open?: () => Promise<Store>;
  /** The engine checks column values (an unknown transport fails its row). */
  checksRows: boolean;
};

const idOf = (result: InsertResult | undefined): number => {
  if (result === undefined || !result.inserted) throw new Error(`expected an insert, got ${JSON.stringify(result)}`);
  return result.id;
};

export function writeContract({ store, open, checksRows }: WriteContractOptions): void {
  let other: Store | undefined;
  beforeAll(async () => {
    other = await open?.();
  });
  afterAll(() => other?.close());

  it.runIf(open !== undefined)('commits 200 concurrent inserts with distinct ids, each readable elsewhere once its promise resolves', async () => {
    const rows = Array.from({ length: 200 }, () => newRow());
    const ids = await Promise.all(
      rows.map(async (row) => {
        const id = idOf(await store().insertMessage(row));
        // Read at once, through another connection: the row is committed before the promise resolves.
        expect((await other!.getMessage(id))?.controlId).toBe(row.controlId);
        return id;
      }),
    );
    expect(new Set(ids).size).toBe(200);
  });

  it('answers a duplicate in the same group with the first row, and one across groups with the stored row', async () => {
    const earlier = newRow();
    const earlierId = idOf(await store().insertMessage(earlier));
    const b = newRow();
    const c = newRow();
    const refused = newRow({ controlId: b.controlId, dedupKey: null, status: 'rejected', ackCode: 'AE' });
    const results = await Promise.all([
      store().insertMessage({ ...earlier, contentHash: sha256('resent with other content'), ackCode: 'AE' }),
      store().insertMessage(b),
      store().insertMessage({ ...b, contentHash: sha256('other'), ackCode: 'AE' }),
      store().insertMessage(c),
      store().insertMessage(refused),
    ]);
    expect(results[0]).toEqual({ inserted: false, existing: { id: earlierId, contentHash: earlier.contentHash, ackCode: 'AA' } });
    expect(results[2]).toEqual({ inserted: false, existing: { id: idOf(results[1]), contentHash: b.contentHash, ackCode: 'AA' } });
    expect([results[3], results[4]].every((r) => r?.inserted)).toBe(true);
    await expect(store().countMessages({ controlId: b.controlId! })).resolves.toBe(2);
    await expect(store().countMessages({ controlId: earlier.controlId! })).resolves.toBe(1);
  });

  it('keeps an ACK over 64 KiB byte for byte (it echoes MSH-3..6 and MSH-10, which may be huge)', async () => {
    const ack = Buffer.alloc(100_000, 'A');
    const id = idOf(await store().insertMessage(newRow({ ack })));
    expect((await store().getMessage(id))?.ack?.equals(ack)).toBe(true);
  });

  it('stores a batch in row order, with the dedup rule inside the batch', async () => {
    const x = newRow();
    const y = newRow();
    const refused = newRow({ dedupKey: null, status: 'rejected' });
    const results = await store().insertMessages([x, y, { ...x, contentHash: sha256('again') }, refused]);
    expect(results[2]).toEqual({ inserted: false, existing: { id: idOf(results[0]), contentHash: x.contentHash, ackCode: 'AA' } });
    for (const [row, result] of [[x, results[0]], [y, results[1]], [refused, results[3]]] as const) {
      expect(withoutProcessing(await store().getMessage(idOf(result)))).toEqual(withoutProcessing({ id: idOf(result), ...row }));
    }
    await expect(store().insertMessages([])).resolves.toEqual([]);
  });

  it.runIf(checksRows)('commits a batch whole or not at all: a bad row fails its own batch only, not the callers beside it', async () => {
    const tag = uniqueTag('BATCH');
    // Over 100 rows: on MariaDB the bad row lands in the second INSERT of the transaction.
    const bad = Array.from({ length: 110 }, (_, i): NewMessage => newRow({ controlId: tag, transport: (i === 105 ? 'ftp' : 'mllp') as Transport }));
    const goodTag = uniqueTag('GOOD');
    const good = Array.from({ length: 3 }, () => newRow({ controlId: goodTag }));
    const singles = Array.from({ length: 5 }, () => newRow());
    const outcomes = await Promise.allSettled([
      ...singles.slice(0, 2).map((row) => store().insertMessage(row)),
      store().insertMessages(bad),
      store().insertMessages(good),
      ...singles.slice(2).map((row) => store().insertMessage(row)),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
    const third = outcomes[2];
    const failure = third?.status === 'rejected' ? third.reason : undefined;
    expect(failure).not.toBeInstanceOf(StoreUnavailableError);
    await expect(store().countMessages({ controlId: tag })).resolves.toBe(0);
    await expect(store().countMessages({ controlId: goodTag })).resolves.toBe(3);
    for (const row of singles) await expect(store().countMessages({ controlId: row.controlId! })).resolves.toBe(1);
  });

  it.runIf(open !== undefined)('keeps one row per key when two stores race on the same keys, and fails no innocent row', async () => {
    const shared = Array.from({ length: 40 }, () => newRow());
    const mine = Array.from({ length: 30 }, () => newRow());
    const theirs = Array.from({ length: 30 }, () => newRow());
    const [a, b, c, d] = await Promise.all([
      Promise.all(shared.map((row) => store().insertMessage(row))),
      Promise.all(mine.map((row) => store().insertMessage(row))),
      Promise.all(shared.map((row) => other!.insertMessage({ ...row, contentHash: sha256(`theirs ${row.controlId}`) }))),
      Promise.all(theirs.map((row) => other!.insertMessage(row))),
    ]);
    expect([...b, ...d].every((r) => r.inserted)).toBe(true);
    shared.forEach((row, i) => {
      const pair = [a[i]!, c[i]!];
      const winners = pair.filter((r) => r.inserted);
      expect(winners).toHaveLength(1);
      const loser = pair.find((r) => !r.inserted);
      expect(loser?.inserted === false && loser.existing.id).toBe(idOf(winners[0]));
    });
    for (const row of shared) await expect(store().countMessages({ controlId: row.controlId! })).resolves.toBe(1);
  });
}

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbSchema } from '../../src/config/schema.ts';
import { createProcessingControl } from '../../src/processing/control.ts';
import { createStore } from '../../src/store/create-store.ts';
import type { Store } from '../../src/store/store.ts';
import { createTestDatabase } from '../support/mariadb.ts';
import { processingColumns, seedProcessing, type ProcessingSeed } from '../support/processing-rows.ts';
import { newRow, uniqueTag } from '../support/rows.ts';

// The processing control's SQL on each engine, below the HTTP layer: a retry walks the matching
// events in chunks (here 2 rows) to the end and touches nothing else; blocked lanes only count in a
// blocking mode; stats count only their states. Each test uses lanes and a sending facility of its own.

const mariadb = await createTestDatabase('processing_control');
const tempDir = mkdtempSync(join(tmpdir(), 'hl7-control-'));
const engines = [
  ['sqlite', dbSchema.parse({ driver: 'sqlite', file: join(tempDir, 'store.sqlite') })],
  ...(mariadb ? [['mariadb', mariadb.config] as const] : []),
] as const;

afterAll(async () => {
  await mariadb?.drop();
  rmSync(tempDir, { recursive: true, force: true });
});

describe.each(engines)('processing control on %s', (_engine, config) => {
  let store: Store;
  beforeAll(async () => {
    store = await createStore(config);
  });
  afterAll(() => store?.close());

  /** Stores one accepted row per seed, under one fresh facility, and sets its processing columns. */
  async function seeded(seeds: readonly ProcessingSeed[]): Promise<{ facility: string; ids: number[] }> {
    const facility = uniqueTag('FAC');
    const ids: number[] = [];
    for (const seed of seeds) {
      const result = await store.insertMessage(newRow({ sendingFacility: facility }));
      if (!result.inserted) throw new Error('expected an insert');
      await seedProcessing(store, result.id, seed);
      ids.push(result.id);
    }
    return { facility, ids };
  }

  it('retries every matching failed event in chunks, and only those', async () => {
    const control = createProcessingControl(store.handle!, { blocking: true, retryChunk: 2 });
    const failed = { state: 'failed', attempts: 8, error: 'sink down', orderingKey: uniqueTag('L') } as const;
    const { facility, ids } = await seeded([failed, failed, failed, failed, failed, { state: 'processed', orderingKey: 'x' }, { state: null }]);
    expect(await control.retry({ sendingFacility: facility })).toBe(5);
    for (const id of ids.slice(0, 5)) {
      expect(await processingColumns(store, id)).toMatchObject({ processing_state: 'received', processing_attempts: 0, processing_error: null });
    }
    expect(await processingColumns(store, ids[5]!)).toMatchObject({ processing_state: 'processed' });
    expect(await processingColumns(store, ids[6]!)).toMatchObject({ processing_state: null });
    expect(await control.retry({ sendingFacility: facility })).toBe(0);
  });

  it('retries by received_at range with the engine\'s own date encoding', async () => {
    const control = createProcessingControl(store.handle!, { blocking: true });
    const at = (iso: string) => new Date(iso);
    const failed = { state: 'failed', orderingKey: uniqueTag('L') } as const;
    const { facility, ids } = await seeded([
      { ...failed, receivedAt: at('2001-01-01T00:00:00.000Z') },
      { ...failed, receivedAt: at('2001-02-01T00:00:00.000Z') },
      { ...failed, receivedAt: at('2001-03-01T00:00:00.000Z') },
    ]);
    expect(await control.retry({ sendingFacility: facility, from: at('2001-02-01T00:00:00.000Z'), to: at('2001-03-01T00:00:00.000Z') })).toBe(1);
    expect(await processingColumns(store, ids[1]!)).toMatchObject({ processing_state: 'received' });
    expect(await processingColumns(store, ids[0]!)).toMatchObject({ processing_state: 'failed' });
    expect(await processingColumns(store, ids[2]!)).toMatchObject({ processing_state: 'failed' });
  });

  it('takes in never-processed accepted rows only when asked for processingState null', async () => {
    const control = createProcessingControl(store.handle!, { blocking: true, retryChunk: 2 });
    const { facility, ids } = await seeded([{ state: null }, { state: null }, { state: null }, { state: 'failed', orderingKey: 'y' }]);
    const refused = await store.insertMessage(newRow({ sendingFacility: facility, status: 'rejected', dedupKey: null }));
    if (!refused.inserted) throw new Error('expected an insert');
    expect(await control.retry({ sendingFacility: facility, processingState: null })).toBe(3);
    expect(await processingColumns(store, ids[3]!)).toMatchObject({ processing_state: 'failed' });
    expect(await processingColumns(store, refused.id)).toMatchObject({ processing_state: null });
  });

  it('lists blocked lanes with the first failed event and the waiting events behind it, only when blocking', async () => {
    const lane = uniqueTag('LANE');
    const { ids } = await seeded([
      { state: 'processed', orderingKey: lane },
      { state: 'failed', orderingKey: lane },
      { state: 'received', orderingKey: lane },
      { state: 'failed', orderingKey: lane },
      { state: 'received', orderingKey: lane },
    ]);
    const blocking = await createProcessingControl(store.handle!, { blocking: true }).stats(new Date());
    expect(blocking.blocked.lanes.find((l) => l.orderingKey === lane)).toEqual({ orderingKey: lane, failedId: ids[1], waiting: 2 });
    const skipping = await createProcessingControl(store.handle!, { blocking: false }).stats(new Date());
    expect(skipping.blocked).toEqual({ count: 0, lanes: [] });
  });
});

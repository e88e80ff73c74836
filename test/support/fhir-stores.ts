import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dbSchema } from '../../src/config/schema.ts';
import { createFhirStore, type FhirStore } from '../../src/fhir/store/fhir-store.ts';
import { createStore } from '../../src/store/create-store.ts';
import type { Store } from '../../src/store/store.ts';
import { createTestDatabase, mariaDbReachable } from './mariadb.ts';

// A FHIR store over a fresh database of each engine, for tests that must hold on both.

export type FhirStoreBed = { store: Store; fhir: FhirStore; now: { value: number }; close(): Promise<void> };
export const fhirEngines = mariaDbReachable ? (['sqlite', 'mariadb'] as const) : (['sqlite'] as const);

export async function openFhirStore(engine: 'sqlite' | 'mariadb', prefix: string): Promise<FhirStoreBed> {
  const now = { value: Date.parse('2026-01-01T00:00:00Z') };
  if (engine === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'hl7-fhir-'));
    const store = await createStore(dbSchema.parse({ driver: 'sqlite', file: join(dir, 'store.sqlite') }));
    return bed(store, now, async () => rmSync(dir, { recursive: true, force: true }));
  }
  const db = await createTestDatabase(prefix);
  if (db === null) throw new Error('MariaDB not reachable');
  const store = await createStore(db.config);
  return bed(store, now, () => db.drop());
}

function bed(store: Store, now: { value: number }, cleanup: () => Promise<void>): FhirStoreBed {
  if (store.handle === undefined) throw new Error('the store has no handle');
  const fhir = createFhirStore(store.handle, { clock: () => now.value });
  return {
    store,
    fhir,
    now,
    async close() {
      await store.close();
      await cleanup();
    },
  };
}

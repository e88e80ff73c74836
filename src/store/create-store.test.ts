import { describe, expect, it } from 'vitest';
import { dbSchema } from '../config/schema.ts';
import { createStore } from './create-store.ts';

describe('createStore', () => {
  it('opens the embedded engine for driver sqlite', async () => {
    const store = await createStore(dbSchema.parse({ driver: 'sqlite', file: ':memory:' }));
    await expect(store.ping()).resolves.toBeUndefined();
    await store.close();
  });

  it('opens MariaDB for driver mariadb, and reports an unreachable one', async () => {
    // Port 1 on loopback is refused without a listener; no MariaDB is needed for this case.
    await expect(createStore(dbSchema.parse({ driver: 'mariadb', port: 1 }))).rejects.toThrow(/^cannot reach MariaDB at 127\.0\.0\.1:1 /);
  });
});

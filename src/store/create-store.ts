import type { DbConfig } from '../config/schema.ts';
import { createMariaDbStore } from './mariadb.ts';
import { createSqliteStore } from './sqlite.ts';
import type { Store, StoreOptions } from './store.ts';

/** Opens the configured engine; rejects with a message naming the database when it cannot be used. */
export async function createStore(config: DbConfig, options: StoreOptions = {}): Promise<Store> {
  switch (config.driver) {
    case 'mariadb':
      return createMariaDbStore(config, options);
    case 'sqlite':
      return createSqliteStore(config, options);
  }
}

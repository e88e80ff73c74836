import type { DbConfig } from '../../src/config/schema.ts';
import type { TestDatabase } from './mariadb.ts';
import { createTcpProxy, type TcpProxy } from './tcp-proxy.ts';

/**
 * A test database reached through a TCP proxy (tcp-proxy.ts), for outage tests: the service gets
 * `config`, the test cuts `proxy`, and reads rows past the proxy with `direct`.
 *
 *   const mariadb = await createTestDatabase('outage');
 *   describe.skipIf(mariadb === null)('…', () => {
 *     let db: ProxiedDatabase;
 *     beforeAll(async () => { db = await proxiedDatabase(mariadb as TestDatabase); t = await startTestApp(db.config); });
 *     afterAll(async () => { await t?.close(); await db?.close(); });
 *     it('…', async () => { db.proxy.cut(); … db.proxy.restore(); });
 *   });
 *
 * Short timeouts by default, so that an answer during a cut comes in bounded time.
 */
export type ProxiedDatabase = {
  proxy: TcpProxy;
  /** The database through the proxy, with `timeouts`. */
  config: DbConfig;
  /** The database itself, bypassing the proxy (reads while it is cut). */
  direct: DbConfig;
  /** Closes the proxy, then drops the database. */
  close(): Promise<void>;
};

export const outageTimeouts = { queryTimeoutMs: 1_000, connectTimeoutMs: 500 };

export async function proxiedDatabase(db: TestDatabase, timeouts: Pick<DbConfig, 'queryTimeoutMs' | 'connectTimeoutMs'> = outageTimeouts): Promise<ProxiedDatabase> {
  let proxy: TcpProxy;
  try {
    proxy = await createTcpProxy(db.config.host, db.config.port);
  } catch (err) {
    await db.drop();
    throw err;
  }
  return {
    proxy,
    config: { ...db.config, ...timeouts, port: proxy.port },
    direct: db.config,
    async close() {
      try {
        await proxy.close();
      } finally {
        await db.drop();
      }
    },
  };
}

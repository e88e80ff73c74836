import { randomBytes } from 'node:crypto';
import { createConnection, type Connection } from 'mysql2/promise';
import { describe } from 'vitest';
import { dbSchema, type DbConfig } from '../../src/config/schema.ts';

/**
 * MariaDB for integration tests. Each test file gets its own database and drops it after:
 *
 *   import { createTestDatabase, describeMariaDb } from '../support/mariadb.ts';
 *
 *   describeMariaDb('my feature on MariaDB', () => {
 *     let db: TestDatabase;
 *     beforeAll(async () => { db = (await createTestDatabase('feature'))!; });
 *     afterAll(() => db?.drop());
 *     it('…', async () => { const store = await createMariaDbStore(db.config); … });
 *   });
 *
 * - `HL7_TEST_DB_URL` (default `mysql://root@127.0.0.1:3306/test`) names a server and an account that
 *   may create and drop databases; its own database is never touched.
 * - When that server cannot be reached, MariaDB suites are skipped with one loud line on stderr, unless
 *   `HL7_TEST_REQUIRE_MARIADB=1`, which makes importing this module fail instead (use it in CI).
 * - `db.config` is a full `DbConfig` (driver mariadb) for the fresh database; spread it to change a part,
 *   e.g. `{ ...db.config, port: proxy.port }` with test/support/tcp-proxy.ts.
 */

export type TestDatabase = { config: DbConfig; drop(): Promise<void> };

export const testDbUrl = process.env.HL7_TEST_DB_URL ?? 'mysql://root@127.0.0.1:3306/test';
const required = process.env.HL7_TEST_REQUIRE_MARIADB === '1';
const server = new URL(testDbUrl);
const serverName = `${server.hostname}:${server.port || '3306'}`;

/** The server's account, without its database: a fresh database is made per test file. */
export function serverConfig(): DbConfig {
  return dbSchema.parse({
    driver: 'mariadb',
    host: server.hostname,
    port: Number(server.port || 3306),
    user: decodeURIComponent(server.username || 'root'),
    password: decodeURIComponent(server.password),
    database: server.pathname.slice(1) || 'test',
    connectTimeoutMs: 2_000,
  });
}

function connectAsAdmin(): Promise<Connection> {
  const { host, port, user, password } = serverConfig();
  return createConnection({ host, port, user, password, connectTimeout: 2_000 });
}

async function probe(): Promise<boolean> {
  try {
    const admin = await connectAsAdmin();
    await admin.end();
    return true;
  } catch (err) {
    // Node reports a refused dual-stack connect as an AggregateError with an empty message.
    const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : '';
    const cause = err instanceof Error && err.message !== '' ? err.message : code || String(err);
    if (required) throw new Error(`MariaDB not reachable at ${serverName} and HL7_TEST_REQUIRE_MARIADB=1: ${cause}`);
    process.stderr.write(
      `MariaDB not reachable at ${serverName} (${cause}): SKIPPING MariaDB tests (set HL7_TEST_REQUIRE_MARIADB=1 to fail instead)\n`,
    );
    return false;
  }
}

/** Known once, when this module loads, so that suites can `describe.skipIf(!mariaDbReachable)`. */
export const mariaDbReachable: boolean = await probe();

/** `describe`, skipped when MariaDB is not reachable (and not required). */
export const describeMariaDb = describe.skipIf(!mariaDbReachable);

/** A fresh, empty database `hl7_test_<prefix>_<random>`; null when MariaDB is skipped. */
export async function createTestDatabase(prefix: string): Promise<TestDatabase | null> {
  if (!mariaDbReachable) return null;
  const safePrefix = prefix.toLowerCase().replace(/[^a-z0-9]+/g, '_').slice(0, 30);
  const database = `hl7_test_${safePrefix}_${randomBytes(4).toString('hex')}`;
  const admin = await connectAsAdmin();
  try {
    await admin.query(`CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  } finally {
    await admin.end();
  }
  return {
    config: { ...serverConfig(), database },
    async drop() {
      const conn = await connectAsAdmin();
      try {
        await conn.query(`DROP DATABASE IF EXISTS \`${database}\``);
      } finally {
        await conn.end();
      }
    },
  };
}

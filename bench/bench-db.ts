import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection, type Connection } from 'mysql2/promise';
import { dbSchema, type DbConfig } from '../src/config/schema.ts';

// The store the measured service writes to: a MariaDB database the bench creates and drops
// (server from HL7_BENCH_DB_URL, else HL7_TEST_DB_URL, else root@127.0.0.1:3306), or an embedded
// SQLite file in a temp directory. Emptied between scenarios so every scenario starts alike.

export type BenchDb = {
  config: DbConfig;
  describe: string;
  /** Deletes the rows of the previous scenario (the service keeps running). */
  empty(): Promise<void>;
  /** innodb_flush_log_at_trx_commit, the buffer pool's size and the server version, for the report. */
  settings(): Promise<string>;
  drop(): Promise<void>;
};

export async function createMariaDbBenchDb(): Promise<BenchDb> {
  const url = new URL(process.env.HL7_BENCH_DB_URL ?? process.env.HL7_TEST_DB_URL ?? 'mysql://root@127.0.0.1:3306/');
  const server = {
    host: url.hostname,
    port: Number(url.port || 3306),
    user: decodeURIComponent(url.username || 'root'),
    password: decodeURIComponent(url.password),
  };
  const database = `hl7_bench_${randomBytes(4).toString('hex')}`;
  const admin: Connection = await createConnection({ ...server, connectTimeout: 3_000 });
  await admin.query(`CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  return {
    config: dbSchema.parse({ driver: 'mariadb', ...server, database }),
    describe: `MariaDB ${server.host}:${server.port}/${database}`,
    async empty() {
      // Absent until a service first migrated this database (the processing section starts empty).
      await admin.query(`TRUNCATE TABLE \`${database}\`.hl7_message`).catch((err: { errno?: number }) => {
        if (err.errno !== 1146) throw err;
      });
      // Lanes of the previous scenario (absent before the service first migrated).
      await admin.query(`DELETE FROM \`${database}\`.processing_lane`).catch(() => undefined);
      // FHIR resources of the previous scenario, so each projection run starts from an empty store.
      for (const table of ['fhir_resource', 'fhir_history', 'fhir_patient', 'fhir_patient_name', 'fhir_identifier', 'fhir_compartment', 'fhir_code']) {
        await admin.query(`TRUNCATE TABLE \`${database}\`.${table}`).catch(() => undefined);
      }
    },
    async settings() {
      const [rows] = await admin.query('SELECT VERSION() AS v, @@innodb_flush_log_at_trx_commit AS f, @@sync_binlog AS s, @@log_bin AS b, @@innodb_buffer_pool_size AS p');
      const row = (rows as Array<Record<string, unknown>>)[0] ?? {};
      return `MariaDB ${String(row.v)}, innodb_flush_log_at_trx_commit=${String(row.f)}, log_bin=${String(row.b)}, sync_binlog=${String(row.s)}, innodb_buffer_pool_size=${Math.round(Number(row.p) / 2 ** 20)} MiB`;
    },
    async drop() {
      try {
        await admin.query(`DROP DATABASE IF EXISTS \`${database}\``);
      } finally {
        await admin.end();
      }
    },
  };
}

export function createSqliteBenchDb(): BenchDb {
  const dir = mkdtempSync(join(tmpdir(), 'hl7-bench-db-'));
  return {
    config: dbSchema.parse({ driver: 'sqlite', file: join(dir, 'bench.sqlite') }),
    describe: `SQLite ${dir}/bench.sqlite`,
    // Not emptied: the service holds the file; each scenario's rows are distinct anyway.
    empty: async () => undefined,
    settings: async () => 'SQLite (better-sqlite3), WAL, synchronous=FULL',
    drop: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

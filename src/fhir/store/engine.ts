import type Database from 'better-sqlite3';
import type { PoolConnection } from 'mysql2/promise';
import type { StoreHandle } from '../../store/store.ts';

// The FHIR store's view of the service's database (Store.handle): plain reads, and transactions
// written as generators of SQL steps (apply.ts) that each engine drives its own way.

export type Row = Record<string, unknown>;
/**
 * One statement with `?` placeholders; `bulk`: a multi-row statement of a shape seldom repeated (not
 * worth a server-side prepared statement).
 */
export type Step =
  | { sql: string; params: unknown[]; bulk?: boolean }
  /**
   * The rows of `table` with these ids, per `type` (resource_type), by its primary key, as one
   * statement (a UNION ALL of one read per type). MariaDB is told to use that key: left to itself it
   * scans a small table (EXPLAIN: ALL when the ids are as many as its rows), and a locking read that
   * scans locks every row, which then waits on every other applier's uncommitted inserts until the
   * store's deadline (test/integration/fhir-store.test.ts). `lock`: rows the transaction will change.
   */
  | { lookup: { table: string; columns: string; groups: readonly { type: string; ids: readonly string[] }[] }; lock?: boolean }
  /**
   * Rows written over the rows of `table` they name by `keys` (each row: the keys' values, then the
   * `set` columns'), as one statement: one UPDATE per row was a round trip each.
   */
  | { update: { table: string; keys: readonly string[]; set: readonly string[] }; rows: unknown[][] };

/** How an engine writes the statements it differs on. */
type Dialect = {
  /** `FROM table` of a primary-key lookup. */
  byPrimaryKey(table: string): string;
  /** What a read of rows the transaction will change ends with. */
  forUpdate: string;
  /** One read of several as a part of a UNION ALL. */
  unionPart(select: string): string;
  /** UPDATE `table` from `rows` (a derived table of SELECT … UNION ALL) joined on `keys`. */
  updateFrom(table: string, keys: readonly string[], rows: string, set: readonly string[]): string;
};

/** The statement's text and whether to send it as text (a shape seldom repeated: not prepared). */
function statementOf(step: Step, dialect: Dialect): { sql: string; text: boolean } {
  if ('lookup' in step) {
    const { table, columns, groups } = step.lookup;
    const lock = step.lock === true ? dialect.forUpdate : '';
    const reads = groups.map(({ ids }) => `SELECT resource_type, id, ${columns} FROM ${dialect.byPrimaryKey(table)} WHERE resource_type = ? AND id IN (${ids.map(() => '?').join(', ')})${lock}`);
    return { sql: reads.length === 1 ? (reads[0] as string) : reads.map(dialect.unionPart).join(' UNION ALL '), text: true };
  }
  if ('update' in step) {
    const { table, keys, set } = step.update;
    const columns = [...keys, ...set];
    const rows = step.rows.map((_, i) => `SELECT ${columns.map((c) => (i === 0 ? `? AS ${c}` : '?')).join(', ')}`).join(' UNION ALL ');
    return { sql: dialect.updateFrom(table, keys, rows, set), text: true };
  }
  return { sql: step.sql, text: step.bulk === true };
}

const paramsOf = (step: Step): unknown[] => ('update' in step ? step.rows.flat() : 'lookup' in step ? step.lookup.groups.flatMap((g) => [g.type, ...g.ids]) : step.params);

const sqliteDialect: Dialect = {
  byPrimaryKey: (table) => table,
  // Its transactions are serialisable from BEGIN IMMEDIATE: there is no row lock to take.
  forUpdate: '',
  // A compound SELECT's parts bare; a sub-select keeps each one's own clauses.
  unionPart: (select) => `SELECT * FROM (${select})`,
  updateFrom: (table, keys, rows, set) =>
    `UPDATE ${table} SET ${set.map((c) => `${c} = v.${c}`).join(', ')} FROM (${rows}) AS v WHERE ${keys.map((k) => `${table}.${k} = v.${k}`).join(' AND ')}`,
};

const mariaDbDialect: Dialect = {
  byPrimaryKey: (table) => `${table} FORCE INDEX (PRIMARY)`,
  forUpdate: ' FOR UPDATE',
  unionPart: (select) => `(${select})`,
  // Planned as the derived rows driving an eq_ref lookup of the primary key (EXPLAIN).
  updateFrom: (table, keys, rows, set) =>
    `UPDATE ${table} r JOIN (${rows}) v ON ${keys.map((k) => `r.${k} = v.${k}`).join(' AND ')} SET ${set.map((c) => `r.${c} = v.${c}`).join(', ')}`,
};

export type Steps<T> = Generator<Step, T, Row[]>;

export type FhirEngine = {
  all(sql: string, params: readonly unknown[]): Promise<Row[]>;
  /** Runs the steps in one transaction; a MariaDB deadlock or a lost insert race runs them again. */
  transaction<T>(steps: () => Steps<T>): Promise<T>;
};

export function createFhirEngine(handle: StoreHandle): FhirEngine {
  return handle.engine === 'sqlite' ? sqliteEngine(handle.db) : mariaDbEngine(handle.pool);
}

function sqliteEngine(db: Database.Database): FhirEngine {
  const statements = new Map<string, Database.Statement>();
  const prepared = (sql: string): Database.Statement => {
    let stmt = statements.get(sql);
    if (stmt === undefined) {
      stmt = db.prepare(sql);
      if (statements.size > 500) statements.clear();
      statements.set(sql, stmt);
    }
    return stmt;
  };
  const run = (step: Step): Row[] => {
    const stmt = prepared(statementOf(step, sqliteDialect).sql);
    if (stmt.reader) return stmt.all(...paramsOf(step)) as Row[];
    stmt.run(...paramsOf(step));
    return [];
  };
  return {
    all: async (sql, params) => run({ sql, params: [...params] }),
    // Synchronous from BEGIN to COMMIT: no other work on the handle can slip in between.
    transaction: async <T>(steps: () => Steps<T>) =>
      db
        .transaction((): T => {
          const gen = steps();
          let next = gen.next([]);
          while (!next.done) next = gen.next(run(next.value));
          return next.value;
        })
        .immediate(),
  };
}

type Pool = Extract<StoreHandle, { engine: 'mariadb' }>['pool'];

/** ER_DUP_ENTRY (two first writes of one resource), ER_LOCK_DEADLOCK: the transaction may simply run again. */
const retriedErrnos = new Set([1062, 1213]);
const maxAttempts = 5;

function mariaDbEngine(pool: Pool): FhirEngine {
  const exec = async (conn: PoolConnection, step: Step): Promise<Row[]> => {
    const { sql, text } = statementOf(step, mariaDbDialect);
    const params = paramsOf(step);
    const [rows] = text ? await conn.query(sql, params) : await conn.execute(sql, params as never[]);
    return Array.isArray(rows) ? (rows as Row[]) : [];
  };
  const once = <T>(steps: () => Steps<T>): Promise<T> =>
    pool.withConnection(async (conn) => {
      await conn.beginTransaction();
      try {
        const gen = steps();
        let next = gen.next([]);
        while (!next.done) next = gen.next(await exec(conn, next.value));
        await conn.commit();
        return next.value;
      } catch (err) {
        await conn.rollback().catch(() => undefined);
        throw err;
      }
    });
  return {
    all: (sql, params) => pool.withConnection((conn) => exec(conn, { sql, params: [...params] })),
    async transaction<T>(steps: () => Steps<T>): Promise<T> {
      for (let attempt = 1; ; attempt++) {
        try {
          return await once(steps);
        } catch (err) {
          const errno = (err as { errno?: unknown }).errno;
          if (attempt >= maxAttempts || typeof errno !== 'number' || !retriedErrnos.has(errno)) throw err;
        }
      }
    },
  };
}

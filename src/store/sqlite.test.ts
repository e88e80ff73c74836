import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newRow } from '../../test/support/rows.ts';
import { dbSchema } from '../config/schema.ts';
import { createSqliteStore, openSqliteDatabase } from './sqlite.ts';
import { StoreUnavailableError } from './store.ts';

const row = newRow({ controlId: 'MSG1' });

describe('sqlite store', () => {
  let dir = '';
  const config = (file: string, queryTimeoutMs = 5_000) => dbSchema.parse({ driver: 'sqlite', file, queryTimeoutMs });
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hl7-sqlite-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('opens a file in WAL mode with synchronous=FULL, so a commit survives power loss', () => {
    const db = openSqliteDatabase(config(join(dir, 'pragmas', 'hl7.sqlite')));
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
    db.close();
  });

  it('works in memory', async () => {
    const store = createSqliteStore(config(':memory:'));
    await expect(store.insertMessage(row)).resolves.toEqual({ inserted: true, id: 1 });
    await expect(store.countMessages()).resolves.toBe(1);
    await store.close();
  });

  it('keeps committed rows across close and reopen', async () => {
    const file = join(dir, 'reopen.sqlite');
    const first = createSqliteStore(config(file));
    await first.insertMessage(row);
    await first.close();
    const second = createSqliteStore(config(file));
    const [listed] = await second.listMessages();
    expect(listed).toMatchObject({ controlId: 'MSG1', rawBytes: row.raw.length });
    await expect(second.getMessage(listed!.id)).resolves.toMatchObject({ controlId: 'MSG1', raw: row.raw });
    await second.close();
  });

  it('answers StoreUnavailableError when another writer holds the lock past busy_timeout', async () => {
    const file = join(dir, 'locked.sqlite');
    const store = createSqliteStore(config(file, 100));
    const other = new Database(file);
    other.exec('BEGIN IMMEDIATE');
    try {
      await expect(store.insertMessage(row)).rejects.toBeInstanceOf(StoreUnavailableError);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    await expect(store.insertMessage(row)).resolves.toMatchObject({ inserted: true });
    await store.close();
  });

  it('fails with a clear message when the file cannot be opened', async () => {
    const blocker = join(dir, 'not-a-directory');
    await writeFile(blocker, '');
    const open = () => createSqliteStore(config(join(blocker, 'hl7.sqlite')));
    expect(open).toThrow(StoreUnavailableError);
    expect(open).toThrow(`cannot open SQLite database ${join(blocker, 'hl7.sqlite')}: EEXIST`);
  });
});

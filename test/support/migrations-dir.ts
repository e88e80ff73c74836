import { cp, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultMigrationsDir } from '../../src/store/migrations.ts';

/**
 * A copy of the repository's migrations/ with one more file for `engine` (MariaDB by default), for a
 * store opened with `{ migrationsDir }`: a pending migration, a broken one, a changed one. The caller
 * removes the folder.
 */
export async function migrationsWith(name: string, sql: string, engine: 'mariadb' | 'sqlite' = 'mariadb'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'hl7-migrations-'));
  await cp(defaultMigrationsDir, dir, { recursive: true });
  await writeFile(join(dir, engine, name), sql);
  return dir;
}

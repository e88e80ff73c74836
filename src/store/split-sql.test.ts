import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { splitSqlStatements } from './split-sql.ts';

describe('splitSqlStatements', () => {
  it.each([
    ['splits on semicolons', 'SELECT 1; SELECT 2;', ['SELECT 1', 'SELECT 2']],
    ['keeps a last statement without a semicolon', 'SELECT 1;\nSELECT 2', ['SELECT 1', 'SELECT 2']],
    ['drops empty statements', ';;\n ; SELECT 1;;', ['SELECT 1']],
    ['strips -- comments', '-- a; b\nSELECT 1; -- c; d\n', ['SELECT 1']],
    ['strips # comments', '# a; b\nSELECT 1;', ['SELECT 1']],
    ['strips block comments', '/* a; b */ SELECT /* ; */ 1;', ['SELECT   1']],
    ['does not read --x as a comment', 'SELECT 1--1;', ['SELECT 1--1']],
    ['keeps ; and -- inside single quotes', "SELECT 'a;b -- c';", ["SELECT 'a;b -- c'"]],
    ['knows doubled quotes', "SELECT 'it''s; fine';", ["SELECT 'it''s; fine'"]],
    ['knows backslash escapes', "SELECT 'a\\';b';", ["SELECT 'a\\';b'"]],
    ['keeps ; inside backticks and double quotes', 'SELECT `a;b`, "c;d";', ['SELECT `a;b`, "c;d"']],
    ['returns nothing for comments only', '-- nothing\n/* here */\n', []],
  ])('%s', (_name, text, expected) => {
    expect(splitSqlStatements(text)).toEqual(expected);
  });

  it('splits the schema file into idempotent statements', async () => {
    const text = await readFile(new URL('../../scripts/create-schema.sql', import.meta.url), 'utf8');
    const statements = splitSqlStatements(text);
    expect(statements.length).toBeGreaterThan(1);
    // MODIFY to the type the column already has is a no-op on the second run.
    const idempotent =
      /^(CREATE (TABLE|INDEX) IF NOT EXISTS |ALTER TABLE \w+ ADD COLUMN IF NOT EXISTS |ALTER TABLE \w+ MODIFY \w+ MEDIUMBLOB NULL$|DROP INDEX IF EXISTS |INSERT INTO schema_migrations .*\sON DUPLICATE KEY UPDATE version = version$)/s;
    for (const statement of statements) expect(statement).toMatch(idempotent);
    expect(text).not.toMatch(/CREATE DATABASE|^\s*USE\s/im);
  });
});

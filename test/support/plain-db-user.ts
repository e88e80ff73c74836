import { randomBytes } from 'node:crypto';
import { createConnection, type Connection, type RowDataPacket } from 'mysql2/promise';
import type { DbConfig } from '../../src/config/schema.ts';
import { serverConfig } from './mariadb.ts';

// A plain MariaDB account (no SUPER, no CONNECTION ADMIN: init_connect runs for it) with grants on
// one test database only, and optionally an init_connect that applies to this account alone, the
// way a DBA sets session defaults for application users. `drop()` removes the account and puts the
// server's init_connect back as it was.

export type PlainUser = { config: DbConfig; drop(): Promise<void> };

function connectAsAdmin(): Promise<Connection> {
  const { host, port, user, password } = serverConfig();
  return createConnection({ host, port, user, password, multipleStatements: false });
}

/**
 * `sessionSql` (e.g. `SET autocommit = 0`) runs at every login of this account: init_connect is
 * global, so it is wrapped in a test of the account name and leaves every other session alone.
 */
export async function createPlainUser(db: DbConfig, sessionSql: { variable: string; value: string } | null): Promise<PlainUser> {
  const user = `hl7_plain_${randomBytes(4).toString('hex')}`;
  const password = randomBytes(12).toString('hex');
  const admin = await connectAsAdmin();
  let previousInit: string | null = null;
  try {
    await admin.query('CREATE USER ?@? IDENTIFIED BY ?', [user, '%', password]);
    await admin.query(`GRANT ALL PRIVILEGES ON \`${db.database}\`.* TO ?@?`, [user, '%']);
    if (sessionSql !== null) {
      const [rows] = await admin.query<RowDataPacket[]>('SELECT @@GLOBAL.init_connect AS init');
      previousInit = String(rows[0]?.init ?? '');
      const { variable, value } = sessionSql;
      const init = `SET SESSION ${variable} = IF(SUBSTRING_INDEX(CURRENT_USER(), '@', 1) = '${user}', ${value}, @@SESSION.${variable})`;
      await admin.query('SET GLOBAL init_connect = ?', [init]);
    }
  } finally {
    await admin.end();
  }
  return {
    config: { ...db, user, password },
    async drop() {
      const conn = await connectAsAdmin();
      try {
        if (previousInit !== null) await conn.query('SET GLOBAL init_connect = ?', [previousInit]);
        await conn.query('DROP USER IF EXISTS ?@?', [user, '%']);
      } finally {
        await conn.end();
      }
    },
  };
}

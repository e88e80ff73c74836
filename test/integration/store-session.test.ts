import type { RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DbConfig } from '../../src/config/schema.ts';
import { createStore } from '../../src/store/create-store.ts';
import { createTestDatabase, type TestDatabase } from '../support/mariadb.ts';
import { buildMessage } from '../support/messages.ts';
import { openRawPeer, readAck } from '../support/mllp-raw.ts';
import { createPlainUser, type PlainUser } from '../support/plain-db-user.ts';
import { connectTo } from '../support/schema-probes.ts';
import { startService, writeConfigDir } from '../support/service-process.ts';

// A server whose application sessions start with autocommit=0 (a DBA's init_connect or my.cnf): the
// store sets the session state it relies on for every connection, so an ACKed message is committed,
// and survives kill -9 of the service right after its ACK.

const mariadb = await createTestDatabase('session');

function serviceYaml(db: DbConfig): string {
  return [
    'mllp:',
    '  host: 127.0.0.1',
    '  port: 0',
    'https:',
    '  enabled: false',
    'db:',
    '  driver: mariadb',
    `  host: ${db.host}`,
    `  port: ${db.port}`,
    `  user: ${db.user}`,
    `  password: "${db.password}"`,
    `  database: ${db.database}`,
  ].join('\n');
}

describe.skipIf(mariadb === null)('a MariaDB user whose sessions start with autocommit=0', () => {
  const db = mariadb as TestDatabase;
  let plain: PlainUser;

  beforeAll(async () => {
    // The schema is created by the administrator; the application user only reads and writes rows.
    await (await createStore(db.config)).close();
    plain = await createPlainUser(db.config, { variable: 'autocommit', value: '0' });
  });
  afterAll(async () => {
    await plain?.drop();
    await db.drop();
  });

  it('gets autocommit=0 from init_connect (the premise of this test)', async () => {
    const conn = await connectTo(plain.config);
    try {
      const [rows] = await conn.query<RowDataPacket[]>('SELECT @@SESSION.autocommit AS autocommit');
      expect(Number(rows[0]?.autocommit)).toBe(0);
    } finally {
      await conn.end();
    }
  });

  it('keeps every ACKed message after kill -9 of the service', async () => {
    const service = await startService(writeConfigDir(serviceYaml(plain.config)));
    const acked: string[] = [];
    try {
      const peer = await openRawPeer(service.port);
      // One at a time: each message is a group of one row, the path that ran as a lone INSERT.
      for (let n = 1; n <= 5; n += 1) {
        const controlId = `AC0-${n}`;
        peer.send(buildMessage({ controlId }));
        if (readAck(await peer.reply(n)).code === 'AA') acked.push(controlId);
      }
    } finally {
      service.child.kill('SIGKILL');
      await service.exited;
    }
    expect(acked).toHaveLength(5);
    const conn = await connectTo(db.config);
    try {
      const [rows] = await conn.query<RowDataPacket[]>("SELECT control_id FROM hl7_message WHERE control_id LIKE 'AC0-%'");
      expect(rows.map((r) => String(r.control_id)).sort()).toEqual(acked);
    } finally {
      await conn.end();
    }
  });
});

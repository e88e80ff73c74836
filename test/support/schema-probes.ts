import { createConnection, type Connection, type RowDataPacket } from 'mysql2/promise';
import type { DbConfig } from '../../src/config/schema.ts';
import { buildMessage } from './messages.ts';
import { openRawPeer, readAck } from './mllp-raw.ts';

// What the schema-migration tests watch from outside the service: a session that holds a table the
// way a report or a backup does, whether a statement waits for a metadata lock, and how many
// messages a running instance still ACKs within a bound.

/** A plain connection to the test database (UTC), as a second client of the server. */
export function connectTo(config: DbConfig): Promise<Connection> {
  const { host, port, user, password, database } = config;
  return createConnection({ host, port, user, password, database, timezone: 'Z' });
}

/**
 * A session with an open transaction that has read `table`: it holds a shared metadata lock on it
 * until `release()`, as a long report, `mariadb-dump --single-transaction` or an idle client would.
 */
export async function holdTable(config: DbConfig, table = 'hl7_message'): Promise<{ release(): Promise<void> }> {
  const conn = await connectTo(config);
  await conn.query('START TRANSACTION');
  await conn.query(`SELECT COUNT(*) FROM \`${table}\``);
  let released: Promise<void> | undefined;
  return {
    release: () => (released ??= conn.query('ROLLBACK').then(() => conn.end())),
  };
}

/**
 * Resolves once `work` has settled or a session of this database waits for a metadata lock,
 * whichever comes first. Polls the process list query by query (no timer): it takes no lock itself.
 */
export async function untilSettledOrWaiting(config: DbConfig, work: Promise<unknown>): Promise<'settled' | 'waiting'> {
  let settled = false;
  const done = work.then(
    () => (settled = true),
    () => (settled = true),
  );
  const conn = await connectTo(config);
  try {
    const sql = "SELECT COUNT(*) AS n FROM information_schema.processlist WHERE db = ? AND state = 'Waiting for table metadata lock'";
    while (!settled) {
      const [rows] = await conn.query<RowDataPacket[]>(sql, [config.database]);
      if (Number(rows[0]?.n) > 0) return 'waiting';
    }
    await done;
    return 'settled';
  } finally {
    await conn.end();
  }
}

/**
 * Sends `count` messages at once, each on its own connection, and counts the AAs that arrive within
 * `withinMs`. Connections are closed afterwards, answered or not.
 */
export async function countAcksWithin(port: number, count: number, withinMs: number, prefix: string): Promise<number> {
  const peers = await Promise.all(Array.from({ length: count }, () => openRawPeer(port)));
  let acked = 0;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, withinMs)));
  const answers = peers.map(async (peer, i) => {
    peer.send(buildMessage({ controlId: `${prefix}-${i}` }));
    const reply = await peer.reply(1).catch(() => null);
    if (reply !== null && readAck(reply).code === 'AA') acked += 1;
  });
  try {
    await Promise.race([Promise.all(answers), deadline]);
    return acked;
  } finally {
    clearTimeout(timer);
    for (const peer of peers) peer.socket.destroy();
  }
}

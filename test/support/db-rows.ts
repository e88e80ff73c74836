import { createConnection, type RowDataPacket } from 'mysql2/promise';
import type { DbConfig } from '../../src/config/schema.ts';

// Reads hl7_message straight from MariaDB on a connection of its own (never through the service or a
// test proxy), so that what a fault test sees is what the database really holds.

export type RowCounts = {
  /** MSH-10 → number of accepted (status received) rows. */
  received: Map<string, number>;
};

export async function countReceivedRows(config: DbConfig, controlIdPrefix: string): Promise<RowCounts> {
  const conn = await createConnection({
    host: config.host,
    port: config.port,
    user: config.user,
    password: config.password,
    database: config.database,
    connectTimeout: 5_000,
  });
  try {
    const [rows] = await conn.query<RowDataPacket[]>(
      "SELECT control_id, COUNT(*) AS n FROM hl7_message WHERE status = 'received' AND control_id LIKE ? GROUP BY control_id",
      [`${controlIdPrefix}%`],
    );
    const received = new Map<string, number>();
    for (const row of rows) received.set(String(row.control_id), Number(row.n));
    return { received };
  } finally {
    await conn.end();
  }
}

/** The MSH-10 values that appear on more than one accepted row. */
export function duplicatedIds(counts: RowCounts): string[] {
  return [...counts.received].filter(([, n]) => n > 1).map(([id]) => id);
}

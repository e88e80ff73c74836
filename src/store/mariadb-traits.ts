import type { RowDataPacket } from 'mysql2/promise';
import { z } from 'zod';
import type { MariaDbPool } from './mariadb-pool.ts';
import type { InsertTraits } from './mariadb-insert.ts';

// Server settings the write path depends on, read once at start-up.

const settingsSchema = z.object({
  max_packet: z.coerce.number().int().positive(),
  lock_mode: z.coerce.number().int(),
  step: z.coerce.number().int().positive(),
});

/** Room left in a packet for the statement's own framing (our row sizes are upper bounds already). */
const packetMargin = 64 * 1024;

export async function readInsertTraits(pool: MariaDbPool, timeout: number): Promise<InsertTraits> {
  const sql =
    'SELECT @@max_allowed_packet AS max_packet, @@innodb_autoinc_lock_mode AS lock_mode, @@auto_increment_increment AS step';
  const [rows] = await pool.withConnection((conn) => conn.query<RowDataPacket[]>({ sql, timeout }));
  const settings = settingsSchema.parse(rows[0]);
  return {
    maxStatementBytes: Math.max(settings.max_packet - packetMargin, 1024),
    // Mode 2 (interleaved) may hand a multi-row INSERT ids that are not consecutive.
    consecutiveIds: settings.lock_mode === 0 || settings.lock_mode === 1,
    idStep: settings.step,
  };
}

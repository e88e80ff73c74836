import type { Connection, RowDataPacket } from 'mysql2/promise';
import { cpuSeconds, findProcess } from './proc-stats.ts';

// HL7_BENCH_DRAIN_COST=1: what one drained event cost, for the drain rows of bench/processing.ts:
// CPU of the service, of the local mariadbd and of a local RabbitMQ (from /proc), and the statements and InnoDB row
// operations the server counted (SHOW GLOBAL STATUS), each divided by the events drained.

const counters = ['Questions', 'Com_select', 'Com_insert', 'Com_update', 'Com_delete', 'Com_commit', 'Handler_read_key', 'Handler_read_next', 'Handler_read_rnd_next', 'Handler_update', 'Handler_write', 'Handler_delete', 'Handler_tmp_write', 'Innodb_buffer_pool_reads'];

export type CostMark = { service: number; mariadb: number; rabbitmq: number; status: Map<string, number> };

export async function costMark(conn: Connection, servicePid: number): Promise<CostMark> {
  const [rows] = await conn.query<RowDataPacket[]>(`SHOW GLOBAL STATUS WHERE Variable_name IN (${counters.map(() => '?').join(',')})`, counters);
  const status = new Map(rows.map((r) => [String(r.Variable_name), Number(r.Value)]));
  return { service: cpuSeconds(servicePid), mariadb: cpuSeconds(findProcess(['mariadbd', 'mysqld'])), rabbitmq: cpuSeconds(findProcess(['beam.smp'])), status };
}

/** One line: µs of CPU per event on each side, then each counter per event. */
export function costLine(before: CostMark, after: CostMark, events: number): string {
  const us = (s: number): string => String(Math.round(((s / events) * 1e6))).padStart(4);
  const counts = counters
    .map((name) => [name, ((after.status.get(name) ?? 0) - (before.status.get(name) ?? 0)) / events] as const)
    .filter(([, perEvent]) => perEvent > 0)
    .map(([name, perEvent]) => `${name} ${perEvent.toFixed(2)}`);
  const broker = after.rabbitmq - before.rabbitmq;
  // RabbitMQ idles at a few ms of CPU a second: shown when the row kept it busier than that.
  const rabbit = broker / events > 5e-6 ? `, RabbitMQ ${us(broker)} µs CPU` : '';
  return `    per event: service ${us(after.service - before.service)} µs CPU, mariadbd ${us(after.mariadb - before.mariadb)} µs CPU${rabbit}; ${counts.join(', ')}`;
}

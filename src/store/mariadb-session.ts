import type { RowDataPacket } from 'mysql2/promise';
import { z } from 'zod';
import type { DbConfig } from '../config/schema.ts';

// The session state the store relies on, set on every new connection whatever the server's defaults
// (my.cnf, or an init_connect a DBA set for application users), and checked once at start-up.
// - autocommit=1: a group of one row is a lone INSERT, committed by itself. Under autocommit=0 it
//   stayed in an open transaction, the sender got AA, and a crash lost it.
// - READ COMMITTED: each statement sees what is committed when it starts, so a claim (processing)
//   never works from an old snapshot, and plain reads take no gap locks.
// - max_statement_time: the server aborts a statement we stopped waiting for (mariadb-pool.ts).

export const expectedIsolation = 'READ-COMMITTED';

/** Run in order on each new connection, before its first statement. */
export function sessionStatements(config: Pick<DbConfig, 'queryTimeoutMs'>): string[] {
  const statementSeconds = (config.queryTimeoutMs / 1000).toFixed(3);
  return [
    `SET SESSION autocommit = 1, max_statement_time = ${statementSeconds}`,
    'SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED',
  ];
}

export type SessionState = {
  autocommit: string;
  isolation: string;
  /** innodb_flush_log_at_trx_commit: 1 writes and flushes the redo log at every commit. */
  flushLogAtCommit: string;
  /** log_bin and binlog_format: InnoDB refuses writes at READ COMMITTED under STATEMENT logging. */
  binaryLog: string;
  binlogFormat: string;
};

// SHOW VARIABLES works on every version; @@tx_isolation is named transaction_isolation from 11.1 on.
export const sessionStateSql =
  'SHOW SESSION VARIABLES WHERE Variable_name IN ' +
  "('autocommit', 'tx_isolation', 'transaction_isolation', 'innodb_flush_log_at_trx_commit', 'log_bin', 'binlog_format')";

const variableRows = z.array(z.object({ Variable_name: z.string(), Value: z.string() }));

export function readSessionStateRows(rows: RowDataPacket[]): SessionState {
  const values = new Map(variableRows.parse(rows).map((row) => [row.Variable_name.toLowerCase(), row.Value]));
  return {
    autocommit: values.get('autocommit') ?? '',
    isolation: values.get('transaction_isolation') ?? values.get('tx_isolation') ?? '',
    flushLogAtCommit: values.get('innodb_flush_log_at_trx_commit') ?? '',
    binaryLog: values.get('log_bin') ?? '',
    binlogFormat: values.get('binlog_format') ?? '',
  };
}

/** Raised at start-up when the connections' state would let the store ACK what it may lose. */
export class SessionStateError extends Error {
  override readonly name = 'SessionStateError';
}

export type SessionVerdict = { problems: string[]; warnings: string[] };

/** Problems stop start-up (the store would ACK what it may lose); warnings are logged. */
export function judgeSessionState(state: SessionState): SessionVerdict {
  const problems: string[] = [];
  const warnings: string[] = [];
  if (state.autocommit.toUpperCase() !== 'ON' && state.autocommit !== '1') {
    problems.push(
      `autocommit is ${state.autocommit || 'unknown'} on the store's connections although the store sets it to 1: ` +
        'check init_connect and the account (a proxy may reset session variables)',
    );
  }
  if (state.isolation.toUpperCase() !== expectedIsolation) {
    problems.push(`the transaction isolation is ${state.isolation || 'unknown'} on the store's connections, not ${expectedIsolation}`);
  }
  if (state.binaryLog.toUpperCase() === 'ON' && state.binlogFormat.toUpperCase() === 'STATEMENT') {
    problems.push(
      'the binary log is on with binlog_format STATEMENT, under which InnoDB refuses writes at READ COMMITTED: ' +
        'set binlog_format to MIXED (the default) or ROW',
    );
  }
  if (state.flushLogAtCommit !== '1') {
    warnings.push(
      `innodb_flush_log_at_trx_commit is ${state.flushLogAtCommit || 'unknown'}, not 1: a message answered AA may be ` +
        'lost if the database server or its host crashes; set it to 1 for durable commits',
    );
  }
  return { problems, warnings };
}

import type { RowDataPacket } from 'mysql2/promise';
import { describe, expect, it } from 'vitest';
import { judgeSessionState, readSessionStateRows, sessionStatements, type SessionState } from './mariadb-session.ts';

const good: SessionState = { autocommit: 'ON', isolation: 'READ-COMMITTED', flushLogAtCommit: '1', binaryLog: 'OFF', binlogFormat: 'MIXED' };
const common = { autocommit: 'ON', innodb_flush_log_at_trx_commit: '1', log_bin: 'OFF', binlog_format: 'MIXED' };
const rows = (values: Record<string, string>) =>
  Object.entries(values).map(([Variable_name, Value]) => ({ Variable_name, Value })) as unknown as RowDataPacket[];

describe('the MariaDB session state', () => {
  it('is set on every connection: autocommit=1, the statement deadline, READ COMMITTED', () => {
    expect(sessionStatements({ queryTimeoutMs: 2_500 })).toEqual([
      'SET SESSION autocommit = 1, max_statement_time = 2.500',
      'SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED',
    ]);
  });

  it.each([
    ['MariaDB 10.11 (tx_isolation)', { ...common, tx_isolation: 'READ-COMMITTED' }],
    ['MariaDB 11.1+ (transaction_isolation)', { ...common, transaction_isolation: 'READ-COMMITTED', tx_isolation: 'READ-COMMITTED' }],
  ])('is read from SHOW VARIABLES on %s', (_server, values) => {
    expect(readSessionStateRows(rows(values))).toEqual(good);
  });

  it.each([
    ['a durable session', good, [], []],
    ['autocommit off (init_connect)', { ...good, autocommit: 'OFF' }, [/^autocommit is OFF .*check init_connect/], []],
    ['another isolation level', { ...good, isolation: 'REPEATABLE-READ' }, [/isolation is REPEATABLE-READ .*not READ-COMMITTED/], []],
    ['the redo log flushed once a second', { ...good, flushLogAtCommit: '2' }, [], [/^innodb_flush_log_at_trx_commit is 2, not 1: a message answered AA may be lost/]],
    ['a binary log in STATEMENT format', { ...good, binaryLog: 'ON', binlogFormat: 'STATEMENT' }, [/^the binary log is on with binlog_format STATEMENT.*MIXED/], []],
    ['a binary log in ROW format', { ...good, binaryLog: 'ON', binlogFormat: 'ROW' }, [], []],
    ['nothing read', { ...good, autocommit: '', isolation: '', flushLogAtCommit: '' }, [/autocommit is unknown/, /isolation is unknown/], [/is unknown/]],
  ])('judges %s', (_what, state, problems, warnings) => {
    const verdict = judgeSessionState(state);
    expect(verdict.problems).toEqual(problems.map((p) => expect.stringMatching(p)));
    expect(verdict.warnings).toEqual(warnings.map((w) => expect.stringMatching(w)));
  });
});

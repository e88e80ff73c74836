import { describe, expect, it } from 'vitest';
import { describeCause, isStatementError, isUnavailableError } from './mariadb-errors.ts';

const clientError = (code: string, message: string, fatal = true): Error =>
  Object.assign(new Error(message), { code, errno: -111, fatal });
const serverError = (code: string, errno: number, message: string, fatal = false): Error =>
  Object.assign(new Error(message), { code, errno, sqlState: 'HY000', sqlMessage: message, fatal });

describe('mariadb error classification', () => {
  it.each([
    ['refused', clientError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:3306'), true, false],
    ['lost', clientError('PROTOCOL_CONNECTION_LOST', 'Connection lost: The server closed the connection.'), true, false],
    ['query timeout', clientError('PROTOCOL_SEQUENCE_TIMEOUT', 'Query inactivity timeout', false), true, false],
    ['reset', clientError('ECONNRESET', 'read ECONNRESET'), true, false],
    ['connect timeout', clientError('ETIMEDOUT', 'connect ETIMEDOUT'), true, false],
    ['pool closed', new Error('Pool is closed.'), true, false],
    ['queue full', new Error('Queue limit reached.'), true, false],
    ['server shutting down', serverError('ER_SERVER_SHUTDOWN', 1053, 'Server shutdown in progress'), true, false],
    ['killed (MariaDB 1927)', serverError('UNKNOWN', 1927, 'Connection was killed'), true, false],
    ['lock wait', serverError('ER_LOCK_WAIT_TIMEOUT', 1205, 'Lock wait timeout exceeded'), true, false],
    ['read-only fail-over', serverError('ER_OPTION_PREVENTS_STATEMENT', 1290, 'read-only'), true, false],
    ['database gone', serverError('ER_BAD_DB_ERROR', 1049, "Unknown database 'hl7'", true), true, false],
    ['any fatal error', clientError('PROTOCOL_INCORRECT_PACKET_SEQUENCE', 'bad sequence'), true, false],
    ['duplicate key', serverError('ER_DUP_ENTRY', 1062, "Duplicate entry 'x' for key 'uq'"), false, true],
    ['data too long', serverError('ER_DATA_TOO_LONG', 1406, "Data too long for column 'x'"), false, true],
    ['missing table', serverError('ER_NO_SUCH_TABLE', 1146, "Table 'hl7.hl7_message' doesn't exist"), false, true],
    ['a programming error', new TypeError('Bind parameters must not contain undefined'), false, false],
  ])('%s: unavailable=%s, statement=%s', (_name, err, unavailable, statement) => {
    expect(isUnavailableError(err)).toBe(unavailable);
    expect(isStatementError(err)).toBe(statement);
  });

  it.each([
    ['keeps a connection message that names its code', clientError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:3306'), 'connect ECONNREFUSED 127.0.0.1:3306'],
    ['adds the code when the message lacks it', clientError('ETIMEDOUT', 'no answer within 8000 ms'), 'ETIMEDOUT: no answer within 8000 ms'],
    ['falls back to the code for an empty message (AggregateError)', clientError('ECONNREFUSED', ''), 'ECONNREFUSED'],
    ['drops a statement error text that may quote values', serverError('ER_DUP_ENTRY', 1062, "Duplicate entry 'PID-123'"), 'ER_DUP_ENTRY (errno 1062)'],
  ])('describeCause %s', (_name, err, expected) => {
    expect(describeCause(err)).toBe(expected);
  });
});

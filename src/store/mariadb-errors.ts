import { StoreUnavailableError } from './errors.ts';

// Sorting mysql2 errors into "the database cannot be reached now" (StoreUnavailableError: the sender
// gets AR 207 and resends later) and "this statement failed". Messages must never carry row values.

/** Node and mysql2 client codes: no connection, a lost one, or one that stopped answering. */
const connectionCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EADDRNOTAVAIL',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR',
  'PROTOCOL_ENQUEUE_AFTER_QUIT',
  'ERR_SOCKET_CLOSED',
  'ERR_STREAM_DESTROYED',
]);

/** Server errors (errno) that mean "not now" rather than "this statement is wrong". */
const unavailableErrnos = new Set([
  1040, // ER_CON_COUNT_ERROR: too many connections
  1044, // ER_DBACCESS_DENIED_ERROR
  1045, // ER_ACCESS_DENIED_ERROR
  1049, // ER_BAD_DB_ERROR: the database is gone
  1053, // ER_SERVER_SHUTDOWN
  1129, // ER_HOST_IS_BLOCKED
  1130, // ER_HOST_NOT_PRIVILEGED
  1152, // ER_ABORTING_CONNECTION
  1158, // ER_NET_READ_ERROR
  1159, // ER_NET_READ_INTERRUPTED
  1160, // ER_NET_ERROR_ON_WRITE
  1161, // ER_NET_WRITE_INTERRUPTED
  1184, // ER_NEW_ABORTING_CONNECTION
  1203, // ER_TOO_MANY_USER_CONNECTIONS
  1205, // ER_LOCK_WAIT_TIMEOUT
  1213, // ER_LOCK_DEADLOCK
  1290, // ER_OPTION_PREVENTS_STATEMENT (read-only during a fail-over)
  1317, // ER_QUERY_INTERRUPTED
  1836, // ER_READ_ONLY_MODE
  1927, // MariaDB ER_CONNECTION_KILLED
  1969, // MariaDB ER_STATEMENT_TIMEOUT (max_statement_time)
  1021, // ER_DISK_FULL
  1041, // ER_OUT_OF_RESOURCES
]);

/** mysql2 pool errors carry no code, only these messages. */
const poolMessages = /^(Pool is closed|Queue limit reached|No connections available)/;

type DriverError = { code: string; errno: number | undefined; fatal: boolean; message: string; fromServer: boolean };

function read(err: unknown): DriverError {
  const record: Record<string, unknown> = typeof err === 'object' && err !== null ? { ...err } : {};
  const message = err instanceof Error ? err.message : String(err);
  return {
    code: typeof record.code === 'string' ? record.code : '',
    errno: typeof record.errno === 'number' ? record.errno : undefined,
    fatal: record.fatal === true,
    message,
    fromServer: typeof record.sqlState === 'string',
  };
}

export function errorCode(err: unknown): string {
  return read(err).code;
}

/** True when the cause is the connection or the server's state, not the statement. */
export function isUnavailableError(err: unknown): boolean {
  const e = read(err);
  if (connectionCodes.has(e.code) || poolMessages.test(e.message)) return true;
  if (e.errno !== undefined && e.fromServer && unavailableErrnos.has(e.errno)) return true;
  return e.fatal;
}

/** True when the server rejected the statement and the connection is still fit for reuse. */
export function isStatementError(err: unknown): boolean {
  const e = read(err);
  return e.fromServer && !e.fatal && !isUnavailableError(err);
}

/**
 * A cause for logs and start-up errors. Connection errors name only addresses and codes, so their text
 * is kept; a statement error's text may quote row values, so only its code is kept.
 */
export function describeCause(err: unknown): string {
  const e = read(err);
  if (isUnavailableError(err) || !e.fromServer) {
    const text = e.message.trim();
    if (text === '') return e.code || 'unknown error';
    return e.code === '' || text.includes(e.code) ? text : `${e.code}: ${text}`;
  }
  return `${e.code || 'error'} (errno ${e.errno ?? '?'})`;
}

/** A failed statement's server text may quote row values: keep only its code. */
export function sanitized(err: unknown): unknown {
  if (err instanceof StoreUnavailableError || !(err instanceof Error) || !('sqlState' in err)) return err;
  return Object.assign(new Error(`MariaDB statement failed: ${describeCause(err)}`), { code: errorCode(err) });
}

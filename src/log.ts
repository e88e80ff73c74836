import pino, { type DestinationStream, type Logger } from 'pino';
import type { Config } from './config/schema.ts';

// One root logger, JSON to stdout. Children add `component`, `conn`, `controlId`; nothing binds
// message content or patient identifiers. `redact` is a second line of defence for secrets.

export function createLogger(config: Config['log'], destination?: DestinationStream): Logger {
  return pino(
    {
      level: config.level,
      base: { service: 'hl7v2-listener' },
      redact: { paths: ['password', '*.password', 'db.password', 'key'], censor: '[redacted]' },
    },
    destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

/** An error as log fields: name, code and a short message, never row values or message content. */
export function errorFields(err: unknown): object {
  if (!(err instanceof Error)) return { message: String(err).slice(0, 200) };
  const code = (err as { code?: unknown }).code;
  return { name: err.name, code: typeof code === 'string' ? code : undefined, message: err.message.slice(0, 200) };
}

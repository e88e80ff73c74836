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

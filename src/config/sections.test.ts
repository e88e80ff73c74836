import { describe, expect, it } from 'vitest';
import { configSchema } from './schema.ts';

// The processing, fhir and console sections' own checks, as the whole config reports them (path from the root).

const base = { https: { enabled: false } };

describe('processing, fhir and console section checks', () => {
  it.each([
    [{ processing: { routes: [{ sinks: ['amqp'] }] } }, 'processing.amqp', 'processing.amqp (url, exchange) is missing'],
    [{ processing: { retry: { initialDelayMs: 10, maxDelayMs: 5 } } }, 'processing.retry.maxDelayMs', 'must be at least processing.retry.initialDelayMs'],
    [{ fhir: { defaultTimeZone: 'Mars/Base' } }, 'fhir.defaultTimeZone', 'is not an IANA time zone'],
    [
      { https: { enabled: false, apiKeys: [1, 2].map(() => ({ name: 'ops', sha256: 'a'.repeat(64), roles: ['read'] })) } },
      'https.apiKeys',
      'each API key needs a name of its own',
    ],
    [{ console: { sessionKey: 'too-short' } }, 'console.sessionKey', 'at least 32 characters'],
    [{ console: { idleMinutes: 600, maxHours: 8 } }, 'console.idleMinutes', 'must not be longer than console.maxHours'],
  ])('%j → %s', (section, path, message) => {
    const result = configSchema.safeParse({ ...base, ...section });
    expect(result.success).toBe(false);
    const issues = result.success ? [] : result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
    expect(issues).toEqual([{ path, message: expect.stringContaining(message) }]);
  });

  it.each([
    { processing: { enabled: false, routes: [{ sinks: ['amqp'] }] } },
    { processing: { routes: [{ sinks: ['amqp'] }], amqp: { url: 'amqp://127.0.0.1' } } },
    { fhir: { defaultTimeZone: 'Europe/Zurich' } },
    { console: { enabled: false } },
    { console: { sessionKey: 'k'.repeat(32), idleMinutes: 5, maxHours: 1 } },
  ])('accepts %j', (section) => {
    expect(configSchema.safeParse({ ...base, ...section }).success).toBe(true);
  });
});

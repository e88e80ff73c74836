import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../config/schema.ts';
import type { Store } from '../../store/store.ts';
import type { Sink } from '../sink.ts';
import { buildSinks, SinkUnavailableError } from './index.ts';

function context(routes: unknown, lines: string[] = []) {
  const config = configSchema.parse({ https: { enabled: false }, processing: { routes, amqp: { url: 'amqp://127.0.0.1' } } });
  const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
  return { config, log, store: {} as Store };
}

describe('buildSinks', () => {
  it('builds the sinks the routes name: log and noop built in, others from factories', async () => {
    const amqp: Sink = { name: 'amqp', deliver: async (events) => events.map(() => ({ ok: true })) };
    const sinks = await buildSinks(context([{ sinks: ['log', 'amqp'] }, { sinks: ['noop'] }]), { amqp: () => amqp });
    expect([...sinks.keys()]).toEqual(['log', 'amqp', 'noop']);
    expect(sinks.get('amqp')).toBe(amqp);
  });

  it('stands in the log sink for fhir until the FHIR sink is passed in, and says so at start-up', async () => {
    const lines: string[] = [];
    const sinks = await buildSinks(context([{ sinks: ['fhir'] }], lines), {});
    expect(sinks.get('fhir')?.name).toBe('fhir');
    expect(lines.join('')).toMatch(/the fhir sink is not available in this build/);
  });

  it('refuses to start when a route names the amqp sink and no factory provides it', async () => {
    await expect(buildSinks(context([{ sinks: ['amqp'] }]), {})).rejects.toBeInstanceOf(SinkUnavailableError);
  });
});

import type { Logger } from 'pino';
import type { Config, SinkName } from '../../config/schema.ts';
import type { Store } from '../../store/store.ts';
import type { Sink } from '../sink.ts';
import { createLogSink, createNoopSink } from './log.ts';

// Builds the sinks the routes name. `log` and `noop` are built in; `amqp` and `fhir` come from
// factories app.ts passes in (their own modules). Until the FHIR sink exists, `fhir` is the log sink
// (with a warning at start-up) so the default route still shows events taking effect.

export type SinkContext = { config: Config; log: Logger; store: Store };
export type SinkFactory = (context: SinkContext) => Sink | Promise<Sink>;
export type SinkFactories = Partial<Record<SinkName, SinkFactory>>;

export class SinkUnavailableError extends Error {
  override readonly name = 'SinkUnavailableError';
}

/** The sink names the routes use, in first-use order. */
export function routedSinkNames(config: Config): SinkName[] {
  return [...new Set(config.processing.routes.flatMap((route) => route.sinks))];
}

export async function buildSinks(context: SinkContext, factories: SinkFactories): Promise<Map<SinkName, Sink>> {
  const sinks = new Map<SinkName, Sink>();
  try {
    for (const name of routedSinkNames(context.config)) {
      const log = context.log.child({ sink: name });
      const factory = factories[name];
      if (factory !== undefined) sinks.set(name, await factory({ ...context, log }));
      else if (name === 'log') sinks.set(name, createLogSink(log));
      else if (name === 'noop') sinks.set(name, createNoopSink());
      else if (name === 'fhir') {
        log.warn('the fhir sink is not available in this build: events routed to it are logged (log sink) instead');
        sinks.set(name, createLogSink(log, 'fhir', 'write FHIR resources'));
      } else throw new SinkUnavailableError(`processing.routes name the ${name} sink, which this build does not provide`);
    }
  } catch (err) {
    for (const sink of sinks.values()) await sink.close?.().catch(() => undefined);
    throw err;
  }
  return sinks;
}

import type { Logger } from 'pino';
import type { Config } from './config/schema.ts';
import { mapMessage } from './fhir/map/index.ts';
import type { FhirStore } from './fhir/store/fhir-store.ts';
import type { ReadinessProbes } from './http/health.ts';
import { createStepRunner } from './processing/claim-store.ts';
import { ProcessingEngine } from './processing/engine.ts';
import type { ProcessingObserver } from './processing/observer.ts';
import type { OperatorView } from './processing/operator-view.ts';
import { createAmqpSink } from './processing/sinks/amqp.ts';
import { createFhirSink } from './processing/sinks/fhir.ts';
import { buildSinks, SinkUnavailableError, type SinkFactories } from './processing/sinks/index.ts';
import type { Store } from './store/store.ts';

// The composition root's processing part (app.ts calls it): which sinks exist, how the engine is
// built over the store, and what /health/ready asks of it. Apart from app.ts because it changes
// with processing, not with the doors or the lifecycle.

/** The sinks with modules of their own: `fhir` writes into the FHIR store, `amqp` publishes to RabbitMQ. */
export function builtInSinkFactories(fhir: FhirStore | undefined): SinkFactories {
  return {
    fhir: ({ config, log }) => {
      if (fhir === undefined) throw new SinkUnavailableError('the fhir sink needs a database store (this one is a test double)');
      return createFhirSink({ fhirStore: fhir, map: mapMessage, options: config.fhir, log });
    },
    amqp: ({ config, log }) => {
      if (config.processing.amqp === undefined) throw new SinkUnavailableError('processing.amqp (url, exchange) is missing');
      return createAmqpSink(config.processing.amqp, log);
    },
  };
}

/** Built after the store (its sinks may need it), started once the doors listen. */
export async function createProcessing(
  config: Config,
  store: Store,
  log: Logger,
  factories: SinkFactories,
  observer: ProcessingObserver,
): Promise<ProcessingEngine | null> {
  if (!config.processing.enabled) return null;
  const processingLog = log.child({ component: 'processing' });
  if (store.handle === undefined) {
    processingLog.warn('the store has no database handle (a test double): processing is off');
    return null;
  }
  const sinks = await buildSinks({ config, log: processingLog, store }, factories);
  return new ProcessingEngine({
    config: config.processing,
    runner: createStepRunner(store.handle, config.processing.concurrency + 2),
    sinks,
    log: processingLog,
    drainTimeoutMs: config.mllp.drainTimeoutMs,
    observer,
    ingestBusyShare: store.commitBusyShare?.bind(store),
  });
}

/** /health/ready's processing check: the age of the oldest waiting event (cached); none when off. */
export function processingProbe(config: Config, operator: OperatorView | null): ReadinessProbes['processing'] {
  const oldestWaitingSeconds = operator?.oldestWaitingSeconds;
  if (!config.processing.enabled || oldestWaitingSeconds == null) return undefined;
  return { oldestWaitingSeconds, maxLagSeconds: config.processing.maxLagSeconds };
}

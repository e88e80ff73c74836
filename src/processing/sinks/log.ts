import type { Logger } from 'pino';
import type { SinkName } from '../../config/schema.ts';
import type { Sink } from '../sink.ts';

// Logs what it would do: the stored id, type and event, and the lane's digest (never PHI, never the
// body). The stand-in for sinks that are not there yet, and a way to watch the engine work.

export function createLogSink(log: Logger, name: SinkName = 'log', would = 'deliver'): Sink {
  return {
    name,
    keepsOrder: true,
    deliver: async (events) =>
      events.map((event) => {
        log.info({ sink: name, id: event.id, messageType: event.messageType, triggerEvent: event.triggerEvent, bytes: event.raw.length }, `would ${would}`);
        return { ok: true };
      }),
  };
}

/** Accepts everything and does nothing: for measurements, and routes that only mark events processed. */
export function createNoopSink(): Sink {
  return { name: 'noop', keepsOrder: true, deliver: async (events) => events.map(() => ({ ok: true })) };
}

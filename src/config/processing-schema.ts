import { z } from 'zod';

// The `processing` section of the configuration (docs/processing.md): ordering, workers, retries,
// routes and the sinks' own settings. Part of the one declaration in schema.ts, which re-exports it.

const MiB = 1024 * 1024;

/** Names of the sinks a route can send events to (src/processing/sinks/). */
export const sinkName = z.enum(['fhir', 'log', 'amqp', 'noop']);

const routeValues = z.array(z.string().min(1)).min(1);

/** One routing rule: every key given must match (a list matches any of its values); sinks run in order. */
export const processingRouteSchema = z
  .object({
    match: z
      .object({
        type: routeValues.optional(),
        event: routeValues.optional(),
        version: routeValues.optional(),
        sendingApplication: routeValues.optional(),
        sendingFacility: routeValues.optional(),
      })
      .strict()
      .default({}),
    sinks: z.array(sinkName).min(1, 'name at least one sink (fhir, log, amqp, noop)'),
  })
  .strict();

export const amqpSinkSchema = z
  .object({
    /** amqp://user:password@host:5672/vhost: a secret in production (`![...]` in config-secured). */
    url: z.string().min(1),
    /** A durable topic exchange, declared at start-up; routing key `hl7.<type>.<event>`. */
    exchange: z.string().min(1).default('hl7v2'),
    /** A publish without its broker confirm after this long counts as failed (and is retried). */
    confirmTimeoutMs: z.number().int().min(100).default(10_000),
    connectTimeoutMs: z.number().int().min(100).default(5_000),
  })
  .strict();

export const processingSchema = z
  .object({
    enabled: z.boolean().default(true),
    ordering: z.enum(['sequential', 'per-patient', 'per-sender', 'parallel']).default('per-patient'),
    /** Workers of this instance (lanes handled at once); `sequential` uses one whatever this says. */
    concurrency: z.number().int().min(1).max(256).default(8),
    /**
     * Events one claim takes at most. A claim's round trips and lane work are paid per claim: 500
     * drained a 1.2 KB ADT backlog ~1.5x faster than 100 (bench/processing.ts); memory is bounded by
     * maxClaimBytes whatever this says.
     */
    batchSize: z.number().int().min(1).max(1000).default(500),
    /**
     * Message bytes one claim holds in memory (a worker's batch); a single larger message is still
     * taken alone. At most `concurrency` claims are held at once.
     */
    maxClaimBytes: z.number().int().min(1024).default(8 * MiB),
    /**
     * While this instance's ingest commits run back to back (senders queueing for the store),
     * processing takes at most this share of the time, so ACKs come first; the backlog it leaves is
     * drained at full speed once ingest eases (docs/processing.md). 1: never yield.
     */
    shareWhileIngestBusy: z.number().min(0.01).max(1).default(0.1),
    /** A claim not renewed for this long is taken over by another instance. */
    leaseMs: z.number().int().min(1000).default(30_000),
    /** How often an idle instance looks for new work (this instance's own ingest wakes it at once). */
    pollIntervalMs: z.number().int().min(10).default(500),
    retry: z
      .object({
        maxAttempts: z.number().int().min(1).default(8),
        initialDelayMs: z.number().int().min(0).default(1_000),
        maxDelayMs: z.number().int().min(0).default(300_000),
      })
      .strict()
      .default({ maxAttempts: 8, initialDelayMs: 1_000, maxDelayMs: 300_000 }),
    /** In ordered modes: a failed event holds back its key (`block`) or is set aside (`skip`). */
    onFailure: z.enum(['block', 'skip']).default('block'),
    /** /health/ready reports processing degraded when the oldest waiting event is older than this; processing stops yielding to ingest past it. */
    maxLagSeconds: z.number().int().min(1).default(300),
    routes: z.array(processingRouteSchema).default([{ match: {}, sinks: ['fhir'] }]),
    amqp: amqpSinkSchema.optional(),
  })
  .strict()
  .superRefine((processing, ctx) => {
    const routedToAmqp = processing.routes.some((route) => route.sinks.includes('amqp'));
    if (processing.enabled && routedToAmqp && processing.amqp === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['amqp'],
        message: 'a route sends events to the amqp sink, but processing.amqp (url, exchange) is missing',
      });
    }
    if (processing.retry.maxDelayMs < processing.retry.initialDelayMs) {
      ctx.addIssue({ code: 'custom', path: ['retry', 'maxDelayMs'], message: 'must be at least processing.retry.initialDelayMs' });
    }
  });

export type ProcessingRoute = z.infer<typeof processingRouteSchema>;
export type AmqpSinkConfig = z.infer<typeof amqpSinkSchema>;
export type SinkName = z.infer<typeof sinkName>;

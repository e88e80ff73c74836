import { z } from 'zod';
import { consoleSchema } from './console-schema.ts';
import { fhirSchema } from './fhir-schema.ts';
import { processingSchema } from './processing-schema.ts';

export { consoleSchema } from './console-schema.ts';
export { fhirSchema } from './fhir-schema.ts';
export { amqpSinkSchema, processingRouteSchema, processingSchema, sinkName, type AmqpSinkConfig, type ProcessingRoute, type SinkName } from './processing-schema.ts';

// The one place the configuration's shape is declared. Every other type is inferred from it.

const MiB = 1024 * 1024;

const port = z.number().int().min(0).max(65535);

/** An IPv4/IPv6 address or CIDR block (`10.0.0.0/8`, `::1`); checked with node:net BlockList. */
const cidr = z
  .string()
  .regex(/^[0-9A-Fa-f:.]+(\/\d{1,3})?$/, 'an IP address or CIDR block such as 10.0.0.0/8 or ::1/128');

/** Peers allowed to connect; absent means anyone. A peer outside is closed at accept and logged. */
const allowList = z.array(cidr).min(1, 'list at least one address or CIDR block, or remove the key').optional();

const tlsFiles = {
  keyFile: z.string().min(1),
  certFile: z.string().min(1),
  /** CA bundle used to verify client certificates (mutual TLS). */
  caFile: z.string().min(1).optional(),
  requestClientCert: z.boolean().default(false),
};

export const mllpSchema = z
  .object({
    host: z.string().min(1).default('0.0.0.0'),
    port: port.default(30500),
    maxMessageBytes: z.number().int().min(1024).default(10 * MiB),
    maxConnections: z.number().int().min(1).default(200),
    /** An open connection with no bytes for this long is closed. */
    idleTimeoutMs: z.number().int().min(100).default(600_000),
    /** A started frame (0x0B seen) must end (0x1C 0x0D) within this time. */
    frameTimeoutMs: z.number().int().min(100).default(30_000),
    /** On shutdown, in-flight messages get this long to commit and be acknowledged. */
    drainTimeoutMs: z.number().int().min(0).default(10_000),
    /** Frames of one connection handled at once (pipelining); reading pauses above this. */
    maxInFlightPerConnection: z.number().int().min(1).max(1024).default(64),
    /**
     * Message bytes held in memory at once, over every MLLP connection and HTTPS request: a frame
     * counts from its first byte read until its reply is written. Above it, reading pauses on every
     * connection; a single message larger than this is still taken when nothing else is held.
     */
    maxInFlightBytes: z.number().int().min(1024).default(128 * MiB),
    /** With tls set, `port` speaks TLS; `requestClientCert: true` makes a client certificate required. */
    tls: z.object(tlsFiles).strict().optional(),
    /** Optional plain listener beside the TLS one. */
    plainPort: port.optional(),
    allow: allowList,
  })
  .strict();

/**
 * `ingest`: POST /hl7. `read`: messages, metrics, docs (and the FHIR API). `operate`: reprocess and
 * retry (implies `read`). `fhir`: the FHIR API only.
 */
const role = z.enum(['ingest', 'read', 'operate', 'fhir']);
const roles = z.array(role).min(1);

export const httpsSchema = z
  .object({
    enabled: z.boolean().default(true),
    host: z.string().min(1).default('0.0.0.0'),
    port: port.default(8443),
    /** TLS files, or `false` for plain HTTP (development only; a warning is logged). Required when enabled. */
    tls: z.union([z.literal(false), z.object(tlsFiles).strict()]).optional(),
    /** Defaults to mllp.maxMessageBytes. */
    maxMessageBytes: z.number().int().min(1024).optional(),
    /** `sha256` is the hex SHA-256 of the key: neither config file holds a usable key. */
    apiKeys: z
      .array(
        z
          .object({
            name: z.string().min(1),
            sha256: z.string().regex(/^[0-9a-f]{64}$/, 'the hex SHA-256 of the key (64 lower-case hex digits)'),
            roles,
          })
          .strict(),
      )
      // The name stands for the key in logs, rate limits and console sessions (which hold no key).
      .refine((keys) => new Set(keys.map((k) => k.name)).size === keys.length, 'each API key needs a name of its own')
      .default([]),
    /** With tls.requestClientCert, a listed certificate subject stands in for a key. */
    clientCerts: z.array(z.object({ subject: z.string().min(1), roles }).strict()).default([]),
    openMetrics: z.boolean().default(false),
    openDocs: z.boolean().default(false),
    allow: allowList,
    /** Requests per key (or per address without a key) per window. */
    rateLimit: z
      .object({ max: z.number().int().min(1).default(1200), timeWindowMs: z.number().int().min(1000).default(60_000) })
      .strict()
      .default({ max: 1200, timeWindowMs: 60_000 }),
    /** A request must be received and answered within this time. */
    requestTimeoutMs: z.number().int().min(100).default(30_000),
    /**
     * Keys the integrity tag of GET /api/messages cursors. Absent: a fresh key per process (a cursor
     * ends with a restart). Set the same value on every instance behind one load balancer. A secret:
     * put it in config-secured-<env>.yaml as `![...]`.
     */
    cursorKey: z.string().min(32, 'at least 32 characters (e.g. `openssl rand -base64 32`)').optional(),
  })
  .strict();

/**
 * Identity rules: which MSH-3/MSH-4 a peer may claim. Empty: no rules. Otherwise a message is
 * accepted only when a rule matching its peer (address in `cidr`, and/or certificate subject)
 * lists its MSH-3 and its MSH-4 (`'*'` matches any); else AR 207 "not authorised".
 * A rule with neither `cidr` nor `certSubject` matches every peer. `certSubject` is compared
 * exactly with the verified client certificate's subject in RFC 4514 form, most specific first
 * (`CN=lab1,O=Hospital,C=CH`; src/net/cert-subject.ts). Entries are compared with the field as
 * written, case-sensitive: `LAB` matches MSH-3's first component (HD namespace id: `LAB`,
 * `LAB^1.2.3^ISO`); `LAB^1.2.3^ISO` (with `^`) must equal the whole field. See src/ingest/identity.ts.
 */
export const sendersSchema = z
  .array(
    z
      .object({
        cidr: cidr.optional(),
        certSubject: z.string().min(1).optional(),
        sendingApplications: z.array(z.string().min(1)).min(1),
        sendingFacilities: z.array(z.string().min(1)).min(1),
      })
      .strict(),
  )
  .default([]);

export const retentionSchema = z
  .object({
    /** Accepted messages older than this are deleted; absent keeps them forever. */
    days: z.number().int().min(1).optional(),
    /** Refused messages older than this are deleted; defaults to `days`. */
    rejectedDays: z.number().int().min(1).optional(),
    intervalMinutes: z.number().int().min(1).default(60),
    /** Rows deleted per statement, so the table is never locked for long. */
    chunkSize: z.number().int().min(1).max(100_000).default(1000),
  })
  .strict();

export const dbSchema = z
  .object({
    driver: z.enum(['mariadb', 'sqlite']).default('sqlite'),
    host: z.string().min(1).default('127.0.0.1'),
    port: port.default(3306),
    user: z.string().default('root'),
    password: z.string().default(''),
    database: z.string().min(1).default('hl7'),
    /** Embedded engine file (better-sqlite3). */
    file: z.string().min(1).default('./data/hl7v2-listener.sqlite'),
    connectionLimit: z.number().int().min(1).max(200).default(10),
    /** A statement that has not answered in this time fails, and the message is answered AR (207). */
    queryTimeoutMs: z.number().int().min(100).default(5_000),
    connectTimeoutMs: z.number().int().min(100).default(3_000),
    /**
     * A schema migration at start-up waits at most this long for a table that another session holds
     * in an open transaction (MariaDB lock_wait_timeout). While it waits, the running instances'
     * statements on that table queue behind it: keep it well under queryTimeoutMs. When it runs out,
     * start-up fails, saying so; start again once that transaction has ended.
     */
    schemaLockWaitSeconds: z.number().int().min(0).max(3_600).default(2),
    /**
     * How long a starting instance waits while another applies migrations (MariaDB GET_LOCK; SQLite
     * waits queryTimeoutMs for its write lock). It then fails, naming the other instance's connection.
     */
    migrationLockWaitSeconds: z.number().int().min(0).max(86_400).default(120),
  })
  .strict();

const segmentId = z.string().regex(/^[A-Z][A-Z0-9]{2}$/, 'a segment id is three upper-case letters or digits');
const messageType = z.string().regex(/^[A-Z][A-Z0-9]{2}$/, 'a message type is three upper-case letters or digits');

// Standard trigger events of the default types (HL7 v2.x chapters 3, 7, 10).
const adtEvents = Array.from({ length: 62 }, (_, i) => `A${String(i + 1).padStart(2, '0')}`);
const defaultAcceptedTypes = {
  ADT: adtEvents,
  ORU: ['R01', 'R30', 'R31', 'R32', 'R40', 'R41', 'W01'],
  SIU: ['S12', 'S13', 'S14', 'S15', 'S16', 'S17', 'S18', 'S19', 'S20', 'S21', 'S22', 'S23', 'S24', 'S26'],
};

export const hl7Schema = z
  .object({
    /** Message type (MSH-9.1) → accepted trigger events (MSH-9.2); `'*'` accepts any event. */
    acceptedTypes: z.record(messageType, z.array(z.string().min(1))).default(defaultAcceptedTypes),
    /** `TYPE` or `TYPE^EVENT` → segments that must be present; the event-specific entry wins. */
    requiredSegments: z
      .record(z.string().regex(/^[A-Z][A-Z0-9]{2}(\^[A-Z0-9]{3})?$/), z.array(segmentId))
      .default({ ADT: ['PID'], ORU: ['PID', 'OBR'], SIU: ['SCH'], 'ADT^A40': ['PID', 'MRG'] }),
    duplicates: z
      .object({ onConflict: z.enum(['reject', 'accept']).default('reject') })
      .strict()
      .default({ onConflict: 'reject' }),
    /** `hl7`: follow MSH-15/MSH-16; `always`: answer every message (senders that set NE but wait). */
    ackMode: z.enum(['hl7', 'always']).default('hl7'),
    /** Charset used when MSH-18 is empty; bytes that are not valid UTF-8 fall back to windows-1252. */
    defaultCharset: z.string().min(1).default('UTF-8'),
    /** MSH-3 and MSH-4 of the ACKs this service sends. */
    ackSendingApplication: z.string().default('HL7V2-LISTENER'),
    ackSendingFacility: z.string().default(''),
  })
  .strict();

export const logSchema = z
  .object({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') })
  .strict();

export const configSchema = z
  .object({
    mllp: mllpSchema.default(mllpSchema.parse({})),
    https: httpsSchema.default(httpsSchema.parse({})),
    db: dbSchema.default(dbSchema.parse({})),
    hl7: hl7Schema.default(hl7Schema.parse({})),
    log: logSchema.default(logSchema.parse({})),
    senders: sendersSchema,
    retention: retentionSchema.default(retentionSchema.parse({})),
    processing: processingSchema.default(processingSchema.parse({})),
    fhir: fhirSchema.default(fhirSchema.parse({})),
    console: consoleSchema.default(consoleSchema.parse({})),
  })
  .strict()
  .superRefine((config, ctx) => {
    // An HTTP request that outlives requestTimeoutMs loses its socket, and with it the answer; the
    // store's deadline (twice for a batch, which may need a second transaction) must come first so
    // a slow store is answered 503 + AR, never a hang-up.
    const storeDeadlineMs = 2 * (config.db.queryTimeoutMs + config.db.connectTimeoutMs) + 500;
    if (config.https.enabled && config.https.requestTimeoutMs <= storeDeadlineMs) {
      ctx.addIssue({
        code: 'custom',
        path: ['https', 'requestTimeoutMs'],
        message:
          `must be more than ${storeDeadlineMs} ms: 2 × (db.queryTimeoutMs + db.connectTimeoutMs) + 500, ` +
          'so a slow store is answered 503 before the request times out',
      });
    }
    if (config.https.enabled && config.https.tls === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['https', 'tls'],
        message:
          'https.enabled is true but https.tls is missing: set https.tls.keyFile and https.tls.certFile, ' +
          'or https.tls: false for plain HTTP (development only), or https.enabled: false',
      });
    }
  });

export type Config = z.infer<typeof configSchema>;
export type MllpConfig = Config['mllp'];
export type DbConfig = Config['db'];
export type Hl7Config = Config['hl7'];
export type HttpsConfig = Config['https'];
export type SendersConfig = Config['senders'];
export type RetentionConfig = Config['retention'];
export type ApiRole = z.infer<typeof role>;
export type ProcessingConfig = Config['processing'];
export type FhirConfig = Config['fhir'];
export type ConsoleConfig = Config['console'];

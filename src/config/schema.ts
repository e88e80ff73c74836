import { z } from 'zod';

// The one place the configuration's shape is declared. Every other type is inferred from it.

const MiB = 1024 * 1024;

const port = z.number().int().min(0).max(65535);

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
  })
  .strict();

export const httpsSchema = z
  .object({
    enabled: z.boolean().default(true),
    host: z.string().min(1).default('0.0.0.0'),
    port: port.default(30443),
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
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
export type MllpConfig = Config['mllp'];
export type DbConfig = Config['db'];
export type Hl7Config = Config['hl7'];

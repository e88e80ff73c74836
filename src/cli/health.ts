import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { z } from 'zod';
import type { Config } from '../config/schema.ts';
import { createAddressMatcher } from '../net/allow-list.ts';
import { createStore } from '../store/create-store.ts';

// `npm run health`, the Docker healthcheck: exit 0 when this instance can take messages, 1 otherwise,
// with one line per check that says why.
// - HTTPS door enabled: GET /health/ready on it. The running service gives its own verdict (store
//   ping, both doors listening), so the probe opens no database connection of its own every 30 s.
// - MLLP-only (https.enabled: false): the MLLP port accepts a connection and the store answers a ping.
//   The port probe opens a TCP connection and closes it without sending a byte, also on a TLS port
//   (mllp.tls): no handshake is begun, so none can fail, and a port that requires a client
//   certificate passes too. It proves the listener accepts, not that the certificate is valid.

export type HealthIo = { out: (line: string) => void; err: (line: string) => void };
/** `timeoutMs` bounds each probe; by default db.queryTimeoutMs + 1 s (readiness waits that long for the store). */
export type HealthOptions = { timeoutMs?: number };

type Check = { ok: boolean; text: string };

const mllpTimeoutMs = 3_000;
const maxBodyBytes = 16 * 1024;

export async function runHealth(config: Config, io: HealthIo, options: HealthOptions = {}): Promise<number> {
  const checks = config.https.enabled ? [await checkReadiness(config, options)] : await checkMllpAndStore(config, options);
  for (const line of checks) (line.ok ? io.out : io.err)(line.text);
  return checks.every((c) => c.ok) ? 0 : 1;
}

/** A wildcard listen address is probed on loopback: the probe runs in the service's own container. */
export function probeHost(listenHost: string): string {
  return listenHost === '0.0.0.0' || listenHost === '::' ? '127.0.0.1' : listenHost;
}

const readinessBody = z.object({ status: z.string(), checks: z.record(z.string(), z.string()) });

async function checkReadiness(config: Config, options: HealthOptions): Promise<Check> {
  const { https } = config;
  const host = probeHost(https.host);
  const tls = https.tls !== false && https.tls !== undefined;
  const url = `${tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${https.port}/health/ready`;
  const timeoutMs = options.timeoutMs ?? config.db.queryTimeoutMs + 1_000;
  try {
    const answer = await get({ host, port: https.port, path: '/health/ready' }, tls, timeoutMs);
    const parsed = readinessBody.safeParse(parseJson(answer.body));
    if (!parsed.success) return { ok: false, text: `readiness ${url}: HTTP ${answer.status}, not a readiness answer` };
    const checks = Object.entries(parsed.data.checks).map(([name, status]) => `${name}: ${status}`).join(', ');
    return { ok: answer.status === 200, text: `readiness ${url}: ${answer.status} ${parsed.data.status} (${checks})` };
  } catch (err) {
    const allowed = createAddressMatcher(https.allow)(host);
    const hint = allowed ? '' : ` (${host} is not in https.allow: the service closes the probe at accept)`;
    return { ok: false, text: `readiness ${url}: ${errorText(err)}${hint}` };
  }
}

type Answer = { status: number; body: string };

/** One GET on a fresh connection, bounded as a whole by `timeoutMs`. */
function get(target: RequestOptions, tls: boolean, timeoutMs: number): Promise<Answer> {
  return new Promise((resolve, reject) => {
    // The service's own certificate, reached by address on this machine: its name will not match,
    // and in a demo it is self-signed. Nothing secret travels (readiness needs no key).
    const options: RequestOptions = { ...target, method: 'GET', agent: false, ...(tls ? { rejectUnauthorized: false } : {}) };
    const request = (tls ? httpsRequest : httpRequest)(options, (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= maxBodyBytes) chunks.push(chunk);
      });
      response.on('error', reject);
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    const timer = setTimeout(() => request.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    request.on('close', () => clearTimeout(timer));
    request.on('error', reject);
    request.end();
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function errorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as NodeJS.ErrnoException).code;
  // A refused dual-stack connect is an AggregateError with an empty message.
  const message = err.message === '' ? (code ?? err.name) : err.message;
  return code === undefined || message.includes(code) ? message : `${message} (${code})`;
}

async function checkMllpAndStore(config: Config, options: HealthOptions): Promise<Check[]> {
  const host = probeHost(config.mllp.host);
  return Promise.all([
    check('mllp', () => probePort(host, config.mllp.port, options.timeoutMs ?? mllpTimeoutMs)),
    check('store', async () => {
      // Read-only: the check never creates the SQLite file or its folder, and never migrates.
      const store = await createStore(config.db, { applySchema: false, readOnly: true });
      try {
        await store.ping();
      } finally {
        await store.close();
      }
    }),
  ]);
}

async function check(name: string, probe: () => Promise<void>): Promise<Check> {
  try {
    await probe();
    return { ok: true, text: `${name}: ok` };
  } catch (err) {
    return { ok: false, text: `${name}: ${errorText(err)}` };
  }
}

function probePort(host: string, port: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, timeout: timeoutMs });
    socket.once('connect', () => {
      socket.end();
      resolve();
    });
    socket.once('timeout', () => {
      socket.destroy();
      reject(new Error(`no answer from ${host}:${port} within ${timeoutMs} ms`));
    });
    socket.once('error', (err) => reject(new Error(`cannot connect to ${host}:${port}: ${errorText(err)}`)));
  });
}

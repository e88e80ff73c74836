import { connect } from 'node:net';
import type { Config } from '../config/schema.ts';
import { createStore } from '../store/create-store.ts';

// `npm run health`: is the MLLP port accepting connections and does the store answer?
// Exit 0 when both hold, 1 otherwise. The Docker healthcheck runs it (MLLP-only deployments
// have no HTTP endpoint to probe).

type Io = { out: (line: string) => void; err: (line: string) => void };

const timeoutMs = 3_000;

export async function runHealth(config: Config, io: Io): Promise<number> {
  const host = config.mllp.host === '0.0.0.0' || config.mllp.host === '::' ? '127.0.0.1' : config.mllp.host;
  const checks = await Promise.all([
    check('mllp', () => probePort(host, config.mllp.port)),
    check('store', async () => {
      const store = await createStore(config.db, { applySchema: false });
      try {
        await store.ping();
      } finally {
        await store.close();
      }
    }),
  ]);
  for (const line of checks) (line.ok ? io.out : io.err)(line.text);
  return checks.every((c) => c.ok) ? 0 : 1;
}

async function check(name: string, probe: () => Promise<void>): Promise<{ ok: boolean; text: string }> {
  try {
    await probe();
    return { ok: true, text: `${name}: ok` };
  } catch (err) {
    return { ok: false, text: `${name}: ${err instanceof Error ? err.message : String(err)}` };
  }
}

function probePort(host: string, port: number): Promise<void> {
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
    socket.once('error', (err) => reject(new Error(`cannot connect to ${host}:${port}: ${err.message}`)));
  });
}

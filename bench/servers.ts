import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DbConfig } from '../src/config/schema.ts';

// The measured servers, each in its own process: the service exactly as `npm start` runs it
// (src/main.ts start, with a config directory of the bench's own), and the two references.

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export type ServerName = 'ours' | 'medplum' | 'floor';

export type MemoryUsage = { rss: number; heapTotal: number; heapUsed: number; external: number; arrayBuffers: number };

export type ServerProcess = {
  name: ServerName;
  pid: number;
  port: number;
  /** Whether its ACKs echo MSH-10 in MSA-2 (the floor answers one fixed ACK). */
  checkIds: boolean;
  /** process.memoryUsage() of the server, after a full GC when `gc` is true. */
  memory(gc: boolean): Promise<MemoryUsage | null>;
  stop(): Promise<void>;
  output(): string;
};

/** `root`: another checkout of the project to run the service from (A/B against an older tree). */
export type SpawnOptions = {
  cpuProfileDir?: string;
  maxInFlightPerConnection?: number;
  root?: string;
  /** The service's `processing` section; absent leaves the key out (an older build does not know it). */
  processing?: Record<string, unknown>;
};

function nodeArgs(entry: string, args: string[], options: SpawnOptions): string[] {
  const profile = options.cpuProfileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`];
  return ['--expose-gc', ...profile, '--import', 'tsx', '--import', join(root, 'bench', 'heap-probe.ts'), join(options.root ?? root, entry), ...args];
}

async function startProcess(
  name: ServerName,
  entry: string,
  args: string[],
  env: Record<string, string>,
  portPattern: RegExp,
  options: SpawnOptions,
): Promise<ServerProcess> {
  const child = spawn(process.execPath, nodeArgs(entry, args, options), {
    cwd: options.root ?? root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let output = '';
  // Kept short: the stream must be drained, but only its tail is useful when something fails.
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = once(child, 'exit');
  const port = await new Promise<number>((resolvePort, reject) => {
    const onData = (): void => {
      const match = portPattern.exec(output);
      if (match === null) return;
      child.stdout?.off('data', onData);
      resolvePort(Number(match[1]));
    };
    child.stdout?.on('data', onData);
    void exited.then(() => reject(new Error(`${name} server exited before listening:\n${output}`)));
  });
  return {
    name,
    pid: child.pid ?? -1,
    port,
    checkIds: name !== 'floor',
    memory: (gc) => queryMemory(child, gc),
    stop: () => stopProcess(child, exited),
    output: () => output,
  };
}

function queryMemory(child: ChildProcess, gc: boolean): Promise<MemoryUsage | null> {
  if (!child.connected) return Promise.resolve(null);
  return new Promise((resolveMemory) => {
    const timer = setTimeout(() => done(null), 5_000);
    const onMessage = (message: unknown): void => {
      if (typeof message === 'object' && message !== null && 'memory' in message) done(message.memory as MemoryUsage);
    };
    function done(value: MemoryUsage | null): void {
      clearTimeout(timer);
      child.off('message', onMessage);
      resolveMemory(value);
    }
    child.on('message', onMessage);
    child.send(gc ? 'memory-gc' : 'memory');
  });
}

/** SIGTERM (the service drains and exits 0), then SIGKILL if it is still there after 15 s. */
async function stopProcess(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

export async function startOurService(db: DbConfig, options: SpawnOptions = {}): Promise<ServerProcess> {
  const configDir = mkdtempSync(join(tmpdir(), 'hl7-bench-cfg-'));
  // JSON is YAML: no quoting questions for the password or the file path.
  const config = {
    mllp: { host: '127.0.0.1', port: 0, maxInFlightPerConnection: options.maxInFlightPerConnection },
    https: { enabled: false },
    // Only where the database is: every other db key keeps its default, so an older build (bench/ab.ts)
    // that does not know a newer key still starts.
    db: connectionOf(db),
    // info logs one line per connection (open/close) and per refused message, none per accepted one.
    log: { level: 'info' },
    ...(options.processing === undefined ? {} : { processing: options.processing }),
  };
  writeFileSync(join(configDir, 'config-bench.yaml'), JSON.stringify(config, null, 2));
  const env = { HL7_ENV: 'bench', HL7_CONFIG_DIR: configDir };
  const server = await startProcess('ours', 'src/main.ts', ['start'], env, /"mllp":"[^"]*:(\d+)"/, options).catch((err: unknown) => {
    rmSync(configDir, { recursive: true, force: true });
    throw err;
  });
  return { ...server, stop: () => server.stop().finally(() => rmSync(configDir, { recursive: true, force: true })) };
}

function connectionOf(db: DbConfig): Partial<DbConfig> {
  if (db.driver === 'sqlite') return { driver: 'sqlite', file: db.file };
  const { driver, host, port, user, password, database } = db;
  return { driver, host, port, user, password, database };
}

export function startReference(name: 'medplum' | 'floor', options: SpawnOptions = {}): Promise<ServerProcess> {
  return startProcess(name, `bench/ref-${name}.ts`, [], {}, /\{"listening":(\d+)\}/, options);
}

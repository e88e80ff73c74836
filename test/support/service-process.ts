import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// Runs the real entry point (src/main.ts) as a child process, the way `npm start` does, with a
// config directory of the test's own. Resolves once the service logs its bound MLLP address.

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export type ServiceProcess = {
  child: ChildProcess;
  port: number;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
};

export function writeConfigDir(yaml: string, env = 'test'): string {
  const dir = mkdtempSync(join(tmpdir(), 'hl7-cfg-'));
  writeFileSync(join(dir, `config-${env}.yaml`), yaml);
  return dir;
}

export function runService(args: string[], configDir: string, extraEnv: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src', 'main.ts'), ...args], {
    cwd: root,
    env: { ...process.env, HL7_ENV: 'test', HL7_CONFIG_DIR: configDir, ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = once(child, 'exit').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
  }));
  return { child, exited, stdout: () => out, stderr: () => err };
}

export async function startService(configDir: string): Promise<ServiceProcess> {
  const run = runService(['start'], configDir);
  const port = await new Promise<number>((resolvePort, reject) => {
    const onData = () => {
      const match = /"mllp":"[^"]*:(\d+)"/.exec(run.stdout());
      if (match) {
        run.child.stdout?.off('data', onData);
        resolvePort(Number(match[1]));
      }
    };
    run.child.stdout?.on('data', onData);
    void run.exited.then(({ code }) => reject(new Error(`service exited (${code}) before listening: ${run.stderr()}`)));
  });
  return { ...run, port };
}

/** Resolves once the service's stdout holds `count` lines matching `pattern` (its JSON logs). */
export function waitForLog(service: Pick<ServiceProcess, 'child' | 'stdout'>, pattern: RegExp, count = 1): Promise<void> {
  const global = new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`);
  const seen = () => (service.stdout().match(global) ?? []).length >= count;
  if (seen()) return Promise.resolve();
  return new Promise((resolve) => {
    const onData = () => {
      if (!seen()) return;
      service.child.stdout?.off('data', onData);
      resolve();
    };
    service.child.stdout?.on('data', onData);
  });
}

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { load } from 'js-yaml';
import { z } from 'zod';

// Reads the packaging files (Dockerfile, docker-compose.yml, .dockerignore) and runs
// scripts/docker-secrets.sh, for test/integration/packaging.test.ts. No Docker engine needed.

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export type Instruction = { op: string; args: string };

/** The instructions of the Dockerfile's last stage (the image that runs), continuation lines joined. */
export function finalStage(): Instruction[] {
  const text = readFileSync(join(root, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  const all = lines.map((line) => {
    const [op = '', ...rest] = line.split(/\s+/);
    return { op: op.toUpperCase(), args: rest.join(' ') };
  });
  const from = all.map((i) => i.op).lastIndexOf('FROM');
  return all.slice(from);
}

/** The JSON (exec form) command of a CMD or HEALTHCHECK instruction: no shell between Docker and node. */
export function execForm(instruction: Instruction | undefined): string[] {
  const json = instruction?.args.replace(/^.*?\bCMD\s+(?=\[)/, '') ?? '';
  return z.array(z.string()).parse(JSON.parse(json));
}

/** ENV a=b c=d (the key=value form) as a record. */
export function envOf(stage: Instruction[]): Record<string, string> {
  const pairs = stage.filter((i) => i.op === 'ENV').flatMap((i) => i.args.split(/\s+/));
  return Object.fromEntries(pairs.map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]));
}

const secretRef = z.union([z.string(), z.object({ source: z.string(), target: z.string().optional() })]);
const service = z.object({
  image: z.string().optional(),
  environment: z.record(z.string(), z.string()).default({}),
  secrets: z.array(secretRef).default([]),
  volumes: z.array(z.string()).default([]),
  ports: z.array(z.string()).default([]),
  healthcheck: z.object({ test: z.array(z.string()) }).optional(),
  read_only: z.boolean().optional(),
  init: z.boolean().optional(),
  tmpfs: z.array(z.string()).default([]),
  cap_drop: z.array(z.string()).default([]),
  stop_grace_period: z.string().optional(),
  depends_on: z.record(z.string(), z.object({ condition: z.string() })).optional(),
});
const composeFile = z.object({
  services: z.object({ mariadb: service, listener: service }),
  secrets: z.record(z.string(), z.object({ file: z.string() })),
  volumes: z.record(z.string(), z.unknown()),
});

export type Compose = z.infer<typeof composeFile>;
export type Service = z.infer<typeof service>;

export function readCompose(): Compose {
  return composeFile.parse(load(readFileSync(join(root, 'docker-compose.yml'), 'utf8')));
}

/** Where each secret of a service lands in its container (compose: /run/secrets/<name> unless target is absolute). */
export function secretMounts(s: Service): Map<string, string> {
  return new Map(
    s.secrets.map((ref) => {
      const source = typeof ref === 'string' ? ref : ref.source;
      const target = typeof ref === 'string' ? ref : (ref.target ?? ref.source);
      return [source, target.startsWith('/') ? target : `/run/secrets/${target}`];
    }),
  );
}

/** Compose durations as this file writes them: `45s`, `1m30s`. */
export function seconds(duration: string): number {
  const match = /^(?:(\d+)m)?(?:(\d+)s)?$/.exec(duration);
  if (match === null || duration === '') throw new Error(`not a duration: ${duration}`);
  return Number(match[1] ?? 0) * 60 + Number(match[2] ?? 0);
}

export function dockerignore(): string[] {
  return readFileSync(join(root, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

/** Runs scripts/docker-secrets.sh with `sh` (POSIX, as a user would), into `dir`; returns its stdout. */
export function makeSecrets(dir: string): string {
  return execFileSync('sh', [join(root, 'scripts', 'docker-secrets.sh'), dir], { encoding: 'utf8' });
}

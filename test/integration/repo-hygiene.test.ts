import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { root } from '../support/packaging.ts';

// Secrets must never reach the repository by a careless `git add -A`: the encrypted overlays
// (config-secured-<env>.yaml) and the key files that scripts/docker-secrets.sh writes.

const inGit = existsSync(join(root, '.git'));

function ignored(path: string): boolean {
  // --no-index: the patterns decide, whether or not the path is tracked.
  const run = spawnSync('git', ['check-ignore', '--no-index', '-q', path], { cwd: root });
  if (run.status === null || run.status > 1) throw new Error(`git check-ignore failed: ${run.stderr.toString()}`);
  return run.status === 0;
}

describe.skipIf(!inGit)('.gitignore', () => {
  it.each(['config/config-secured-local.yaml', 'config/config-secured-docker.yaml', 'secrets/hl7_key', 'secrets/tls/server.key'])(
    'keeps %s out of the repository',
    (path) => expect(ignored(path)).toBe(true),
  );

  it.each(['config/config-local.yaml', 'config/config-secured-example.yaml.sample'])('still tracks %s', (path) =>
    expect(ignored(path)).toBe(false),
  );
});

import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

// `node --import tsx bench/profile-summary.ts <file.cpuprofile> [top]`: self time by function and
// by file from a `node --cpu-prof` profile (what `npm run bench -- --profile` writes).

type Node = { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] };
type Profile = { nodes: Node[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number };

const [file, topArg] = process.argv.slice(2);
if (file === undefined) throw new Error('usage: profile-summary <file.cpuprofile> [top]');
const top = Number(topArg ?? 30);
// A second profile file where the count goes (a shell glob of two) would print empty tables.
if (!Number.isInteger(top) || top <= 0) throw new Error('usage: profile-summary <file.cpuprofile> [top]: one file, then a count');
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const selfUs = new Map<number, number>();
profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));

const where = (n: Node): string => {
  const url = n.callFrame.url.replace(/^file:\/\//, '');
  const path = url.includes('/node_modules/') ? url.slice(url.lastIndexOf('/node_modules/') + 14) : url === '' ? '' : relative(process.cwd(), url);
  return path === '' ? '(native)' : path;
};
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
const idle = [...selfUs].filter(([id]) => byId.get(id)?.callFrame.functionName === '(idle)').reduce((a, [, us]) => a + us, 0);

function tally(keyOf: (n: Node) => string): Array<[string, number]> {
  const sums = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (node === undefined || node.callFrame.functionName === '(idle)') continue;
    const key = keyOf(node);
    sums.set(key, (sums.get(key) ?? 0) + us);
  }
  return [...sums].sort((a, b) => b[1] - a[1]).slice(0, top);
}

const busy = total - idle;
process.stdout.on('error', () => process.exit(0)); // | head
const pct = (us: number): string => `${((us / busy) * 100).toFixed(1)}%`.padStart(6);
process.stdout.write(`${file}: ${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s busy (percentages of busy)\n\nself time by function:\n`);
for (const [name, us] of tally((n) => `${n.callFrame.functionName || '(anonymous)'}  ${where(n)}:${n.callFrame.lineNumber + 1}`)) {
  process.stdout.write(`${pct(us)}  ${name}\n`);
}
// Where the service's time goes, by layer (self time; native frames are attributed to 'native').
const areas: Array<[RegExp, string]> = [
  [/^src\/mllp\//, 'src/mllp'],
  [/^src\/hl7\//, 'src/hl7'],
  [/^src\/ingest\//, 'src/ingest'],
  [/^src\/store\/|^mysql2\/|^sql-escaper\/|^lru\.min\/|^better-sqlite3\//, 'store (src/store, mysql2, sqlite)'],
  [/^src\/metrics\/|^prom-client\//, 'metrics (prom-client)'],
  [/^pino|^src\/log/, 'logging'],
  [/^node:internal\/crypto|^node:crypto/, 'node crypto'],
  [/^node:internal\/modules|^node:internal\/bootstrap|^tsx\/|^esbuild|cjs-module-lexer|^wasm:/, 'module loading (start-up)'],
  [/^node:/, 'node core (net, streams, timers, buffer)'],
  [/^\(native\)$/, 'native (GC, syscalls, builtins)'],
];
process.stdout.write('\nself time by area:\n');
for (const [name, us] of tally((n) => areas.find(([re]) => re.test(where(n)))?.[1] ?? `other: ${where(n)}`)) {
  process.stdout.write(`${pct(us)}  ${name}\n`);
}
process.stdout.write('\nself time by file:\n');
for (const [name, us] of tally(where)) process.stdout.write(`${pct(us)}  ${name}\n`);

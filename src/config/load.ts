import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { load, YAMLException } from 'js-yaml';
import { configSchema, type Config } from './schema.ts';
import { decryptSecret, isSecret } from './secrets.ts';
import { describeIssue, describeValue, describeYamlError, joinPath, type ConfigProblem } from './problems.ts';

export type { ConfigProblem } from './problems.ts';

/** `keyFile` (HL7_KEY_FILE, e.g. a Docker secret under /run/secrets) is read when `key` is unset. */
export type ConfigOptions = { env: string; dir: string; key: string | undefined; keyFile?: string | undefined };
export type LoadResult = { ok: true; config: Readonly<Config> } | { ok: false; problems: ConfigProblem[] };

type Tree = Record<string, unknown>;

export function resolveConfigOptions(env: NodeJS.ProcessEnv): ConfigOptions {
  return { env: env.HL7_ENV ?? 'local', dir: env.HL7_CONFIG_DIR ?? './config', key: env.HL7_KEY, keyFile: env.HL7_KEY_FILE };
}

/** HL7_KEY wins; else the first line of HL7_KEY_FILE (a trailing newline is not part of the key). */
function readKey(options: ConfigOptions): { key: string | undefined; problems: ConfigProblem[] } {
  if (options.key !== undefined || options.keyFile === undefined || options.keyFile === '') return { key: options.key, problems: [] };
  try {
    return { key: readFileSync(options.keyFile, 'utf8').replace(/\r?\n$/, ''), problems: [] };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
    return { key: undefined, problems: [{ path: 'HL7_KEY_FILE', message: `cannot read ${resolve(options.keyFile)} (${code})` }] };
  }
}

/** Read, parse, merge, decrypt, validate, freeze: each step stops the line if it found problems. */
export function loadConfig(options: ConfigOptions): LoadResult {
  // The name becomes part of a file path; keep it from climbing out of the config folder.
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(options.env)) {
    return fail([{ path: 'HL7_ENV', message: 'must be a plain name such as local or docker (letters, digits, . _ -)' }]);
  }
  const plain = readYamlFile(options, `config-${options.env}.yaml`, true);
  const secured = readYamlFile(options, `config-secured-${options.env}.yaml`, false);
  const key = readKey(options);
  const readProblems = [...plain.problems, ...secured.problems, ...key.problems];
  if (readProblems.length > 0) return fail(readProblems);

  const decryptProblems: ConfigProblem[] = [];
  const tree = decryptTree(mergeDeep(plain.tree, secured.tree), [], key.key, decryptProblems);
  const parsed = configSchema.safeParse(tree);
  // Undecryptable leaves were dropped above, so validation reports only what else is wrong.
  const problems = [...decryptProblems, ...(parsed.success ? [] : parsed.error.issues.flatMap((i) => describeIssue(i, tree)))];
  if (!parsed.success || problems.length > 0) return fail(problems);
  // The clone keeps freezing away from default values that the schema module shares between loads.
  return { ok: true, config: deepFreeze(structuredClone(parsed.data)) };
}

/** For stderr: a header naming where the files were looked for, then one line per problem. */
export function formatProblems(problems: readonly ConfigProblem[], options: Pick<ConfigOptions, 'env' | 'dir'>): string {
  const header = `Configuration is invalid (HL7_ENV=${options.env}, ${resolve(options.dir)}):`;
  return [header, ...problems.map((p) => `  - ${p.path}: ${p.message}`)].join('\n');
}

function fail(problems: ConfigProblem[]): LoadResult {
  return { ok: false, problems };
}

type FileResult = { tree: Tree; problems: ConfigProblem[] };

function readYamlFile(options: ConfigOptions, file: string, required: boolean): FileResult {
  const fullPath = resolve(join(options.dir, file));
  let source: string;
  try {
    source = readFileSync(fullPath, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !required) return { tree: {}, problems: [] };
    const message =
      code === 'ENOENT'
        ? `not found: ${fullPath} (HL7_ENV=${options.env} selects it; HL7_CONFIG_DIR=${options.dir} is where it is looked for)`
        : `cannot read ${fullPath} (${code ?? 'unknown error'})`;
    return { tree: {}, problems: [{ path: file, message }] };
  }
  return parseYaml(file, source);
}

function parseYaml(file: string, source: string): FileResult {
  let document: unknown;
  try {
    document = load(source, { filename: file });
  } catch (error) {
    if (error instanceof YAMLException) return { tree: {}, problems: [describeYamlError(file, error, source)] };
    throw error;
  }
  // An empty file (or one with only comments) means "no settings here".
  if (document === undefined || document === null) return { tree: {}, problems: [] };
  if (!isPlainObject(document)) {
    const message = `must hold key: value settings at the top level, got ${describeValue(document)}`;
    return { tree: {}, problems: [{ path: file, message }] };
  }
  return { tree: document, problems: [] };
}

function isPlainObject(value: unknown): value is Tree {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Objects merge key by key; anything else in `over` (list, scalar, null) replaces what `base` had. */
function mergeDeep(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over === undefined ? base : over;
  const keys = new Set([...Object.keys(base), ...Object.keys(over)]);
  // fromEntries defines own properties, so a `__proto__` key stays a key (and fails validation).
  return Object.fromEntries([...keys].map((k) => [k, Object.hasOwn(over, k) ? mergeDeep(base[k], over[k]) : base[k]]));
}

function decryptTree(node: unknown, path: PropertyKey[], key: string | undefined, problems: ConfigProblem[]): unknown {
  if (isSecret(node)) return decryptLeaf(node, joinPath(path), key, problems);
  if (Array.isArray(node)) return node.map((item, i) => decryptTree(item, [...path, i], key, problems));
  if (isPlainObject(node)) {
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, decryptTree(v, [...path, k], key, problems)]));
  }
  return node;
}

/** A leaf that cannot be decrypted becomes undefined, so it is reported once, here. */
function decryptLeaf(value: string, path: string, key: string | undefined, problems: ConfigProblem[]): unknown {
  if (key === undefined || key === '') {
    problems.push({ path, message: `value is encrypted but HL7_KEY is ${key === undefined ? 'not set' : 'empty'}` });
    return undefined;
  }
  const result = decryptSecret(value, key);
  if (result.ok) return result.value;
  const message =
    result.reason === 'malformed'
      ? 'cannot decrypt (not a value made by `npm run secure -- encrypt`)'
      : 'cannot decrypt (wrong HL7_KEY or tampered value)';
  problems.push({ path, message });
  return undefined;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

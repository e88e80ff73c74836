import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { formatProblems, loadConfig, resolveConfigOptions, type ConfigProblem } from './load.ts';
import { configSchema } from './schema.ts';
import { encryptSecret } from './secrets.ts';

const KEY = 'load-test-key-91c';
const SECRET = 'Tr0ub4dor-and-3';
const CIPHER = encryptSecret(SECRET, KEY);
const PORT_CIPHER = encryptSecret('30999', KEY);
const shippedDir = fileURLToPath(new URL('../../config', import.meta.url));

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/**
 * Writes the files to a temp dir. The HTTPS door is on by default and then needs TLS settings, so
 * a plain config file that does not mention `https` gets `https: {enabled: false}` unless told not to.
 */
function configDir(files: Record<string, string>, { httpsOff = true } = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'hl7-config-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) {
    const plainConfig = /^config-(?!secured-)[^/]+\.yaml$/.test(name) && !text.includes('https');
    writeFileSync(join(dir, name), httpsOff && plainConfig ? `https: {enabled: false}\n${text}` : text);
  }
  return dir;
}

function loadOk(files: Record<string, string>, env = 'local', key: string | undefined = KEY) {
  const result = loadConfig({ env, dir: configDir(files), key });
  if (!result.ok) throw new Error(`expected a valid config, got ${JSON.stringify(result.problems)}`);
  return result.config;
}

describe('loadConfig: valid configurations', () => {
  it('applies every default to a file that only turns the HTTPS door off', () => {
    const text = 'https: {enabled: false}\n';
    expect(loadOk({ 'config-local.yaml': text })).toEqual(configSchema.parse({ https: { enabled: false } }));
  });

  it('reads the key from HL7_KEY_FILE when HL7_KEY is unset, without its trailing newline', () => {
    const dir = configDir({ 'config-local.yaml': `https: {enabled: false}\ndb: {password: '${CIPHER}'}\n`, key: `${KEY}\n` });
    const result = loadConfig({ env: 'local', dir, key: undefined, keyFile: join(dir, 'key') });
    expect(result.ok && result.config.db.password).toBe(SECRET);
  });

  it('treats a file of comments as empty', () => {
    expect(loadOk({ 'config-local.yaml': '# nothing yet\n' }).mllp.port).toBe(30500);
  });

  it('reads the file HL7_ENV selects', () => {
    const files = { 'config-local.yaml': 'mllp: {port: 1001}\n', 'config-docker.yaml': 'mllp: {port: 1002}\n' };
    expect(loadOk(files, 'local').mllp.port).toBe(1001);
    expect(loadOk(files, 'docker').mllp.port).toBe(1002);
  });

  it('merges the secured file over the plain one: objects by key, lists replaced', () => {
    const config = loadOk({
      'config-local.yaml': 'db: {host: db1, user: app, password: plain}\nhl7: {requiredSegments: {ADT: [PID, PV1]}}\n',
      'config-secured-local.yaml': 'db: {password: other}\nhl7: {requiredSegments: {ADT: [PID]}}\n',
    });
    expect(config.db).toMatchObject({ host: 'db1', user: 'app', password: 'other' });
    expect(config.hl7.requiredSegments).toEqual({ ADT: ['PID'] });
  });

  it.each([
    ['the secured file', { 'config-local.yaml': 'db: {user: app}\n', 'config-secured-local.yaml': `db: {password: '${CIPHER}'}\n` }],
    ['the plain file', { 'config-local.yaml': `db: {user: app, password: '${CIPHER}'}\n` }],
  ])('decrypts an encrypted value in %s', (_where, files) => {
    expect(loadOk(files).db.password).toBe(SECRET);
  });

  it('returns a deeply frozen config', () => {
    const config = loadOk({ 'config-local.yaml': '' });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.hl7.acceptedTypes.ADT)).toBe(true);
    expect(() => {
      (config.db as { port: number }).port = 1;
    }).toThrow(TypeError);
  });

  it.each([
    ['local', 'sqlite'],
    ['docker', 'mariadb'],
  ] as const)('loads the shipped config-%s.yaml', (env, driver) => {
    const result = loadConfig({ env, dir: shippedDir, key: undefined });
    expect(result.ok && result.config.db.driver).toBe(driver);
  });

  it('loads the shipped secured sample with its documented key', () => {
    const dir = configDir({ 'config-sample.yaml': '' });
    copyFileSync(join(shippedDir, 'config-secured-example.yaml.sample'), join(dir, 'config-secured-sample.yaml'));
    const result = loadConfig({ env: 'sample', dir, key: 'example-key-do-not-use' });
    expect(result.ok && result.config.db.password).toBe('example-password');
  });
});

type Case = [name: string, files: Record<string, string>, expected: Partial<ConfigProblem> | RegExp, options?: { env?: string; key?: string | undefined }];

const local = (yaml: string) => ({ 'config-local.yaml': yaml });
const secured = (yaml: string) => ({ 'config-local.yaml': 'log: {level: info}\n', 'config-secured-local.yaml': yaml });

const invalid: Case[] = [
  ['unknown key', local('db:\n  bogus: 1\n'), { path: 'db', message: "unknown key 'bogus' (check spelling)" }],
  ['unknown section', local('databse: {}\n'), { path: '(top level)', message: "unknown key 'databse' (check spelling)" }],
  ['wrong type', local("mllp:\n  port: '30500'\n"), { path: 'mllp.port', message: 'expected a number, got a string' }],
  ['fraction for a whole number', local('db: {connectionLimit: 1.5}\n'), { path: 'db.connectionLimit', message: 'expected a whole number, got a number with a fraction' }],
  ['empty section', local('db:\n'), { path: 'db', message: 'expected an object (key: value lines), got an empty value' }],
  ['bad enum', local('db: {driver: postgres}\n'), { path: 'db.driver', message: "expected one of 'mariadb', 'sqlite'" }],
  ['port out of range', local('mllp: {port: 70000}\n'), { path: 'mllp.port', message: 'must be at most 65535' }],
  ['empty string', local("mllp: {host: ''}\n"), { path: 'mllp.host', message: 'must not be empty' }],
  ['bad record key', local('hl7: {acceptedTypes: {adt: [A01]}}\n'), { path: 'hl7.acceptedTypes.adt', message: expect.stringContaining('not allowed as a key') as string }],
  ['top level is a list', local('- a\n- b\n'), { path: 'config-local.yaml', message: 'must hold key: value settings at the top level, got a list' }],
  ['broken YAML', local(`db:\n  password: ${SECRET}\n  port: [1\n`), /^config-local\.yaml: YAML syntax error at line 4, column 1: /],
  ['broken secured YAML', secured(`db:\n  password: '${CIPHER}'\n   user: x\n`), /^config-secured-local\.yaml: YAML syntax error at line 3, column/],
  ['unquoted ciphertext', secured(`db:\n  password: ${CIPHER}\n`), /line 2, .*quote encrypted values/],
  ['missing file', {}, /^config-staging\.yaml: not found: \/.*config-staging\.yaml \(HL7_ENV=staging .*HL7_CONFIG_DIR=/, { env: 'staging' }],
  ['env name with a path in it', local(''), { path: 'HL7_ENV' }, { env: '../etc/x' }],
  ['encrypted value without HL7_KEY', secured(`db: {password: '${CIPHER}'}\n`), { path: 'db.password', message: 'value is encrypted but HL7_KEY is not set' }, { key: undefined }],
  ['encrypted value with an empty HL7_KEY', secured(`db: {password: '${CIPHER}'}\n`), { path: 'db.password', message: 'value is encrypted but HL7_KEY is empty' }, { key: '' }],
  ['wrong key', secured(`db: {password: '${CIPHER}'}\n`), { path: 'db.password', message: 'cannot decrypt (wrong HL7_KEY or tampered value)' }, { key: 'not-the-key' }],
  ['tampered value', secured(`db: {password: '${CIPHER.slice(0, -3)}xy]'}\n`), { path: 'db.password', message: 'cannot decrypt (wrong HL7_KEY or tampered value)' }],
  ['malformed value', secured(`db: {password: '![${SECRET}]'}\n`), { path: 'db.password', message: expect.stringContaining('cannot decrypt (not a value made by') as string }],
  ['decrypted value of the wrong type', secured(`mllp: {port: '${PORT_CIPHER}'}\n`), { path: 'mllp.port', message: 'expected a number, got a string' }],
  ['secret in a list', secured(`hl7: {requiredSegments: {ADT: ['${CIPHER}']}}\n`), { path: 'hl7.requiredSegments.ADT.0' }],
];

describe('loadConfig: invalid configurations', () => {
  it('names both ways out when the HTTPS door is on without TLS settings (the default)', () => {
    const result = loadConfig({ env: 'local', dir: configDir({ 'config-local.yaml': '' }, { httpsOff: false }), key: KEY });
    expect(result.ok ? [] : result.problems).toEqual([
      { path: 'https.tls', message: expect.stringMatching(/https\.tls\.keyFile.*https\.tls: false.*https\.enabled: false/) },
    ]);
  });

  it('refuses an HTTP request timeout that would cut the answer of a slow store', () => {
    const text = 'https: {tls: false, requestTimeoutMs: 10000}\ndb: {queryTimeoutMs: 5000, connectTimeoutMs: 3000}\n';
    const result = loadConfig({ env: 'local', dir: configDir({ 'config-local.yaml': text }), key: KEY });
    expect(result.ok ? [] : result.problems).toEqual([
      { path: 'https.requestTimeoutMs', message: expect.stringMatching(/^must be more than 16500 ms/) },
    ]);
  });

  it('reports an unreadable HL7_KEY_FILE by path, not by content', () => {
    const result = loadConfig({ env: 'local', dir: configDir({ 'config-local.yaml': '' }), key: undefined, keyFile: '/nonexistent/key' });
    expect(result.ok ? [] : result.problems).toEqual([{ path: 'HL7_KEY_FILE', message: 'cannot read /nonexistent/key (ENOENT)' }]);
  });

  it.each(invalid)('reports %s', (_name, files, expected, options = {}) => {
    const key = 'key' in options ? options.key : KEY;
    // Left as written: these files test what a broken file looks like, line numbers included.
    const result = loadConfig({ env: options.env ?? 'local', dir: configDir(files, { httpsOff: false }), key });
    expect(result.ok).toBe(false);
    const problems = result.ok ? [] : result.problems;
    if (expected instanceof RegExp) {
      expect(problems.map((p) => `${p.path}: ${p.message}`)).toContainEqual(expect.stringMatching(expected));
    } else {
      expect(problems).toContainEqual(expect.objectContaining(expected));
    }
    const shown = JSON.stringify(problems) + formatProblems(problems, { env: 'local', dir: '.' });
    // Slices too: js-yaml's snippets cut long lines, which would show only part of a ciphertext.
    const hidden = [SECRET, CIPHER.slice(2, 14), CIPHER.slice(30, 42), PORT_CIPHER.slice(2, 14), '30999', 'not-the-key'];
    for (const text of hidden) {
      expect(shown).not.toContain(text);
    }
  });

  it('reports a failed decryption once, not again as a validation problem', () => {
    const result = loadConfig({ env: 'local', dir: configDir(secured(`mllp: {port: '${CIPHER}'}\n`)), key: undefined });
    expect(result.ok ? [] : result.problems).toEqual([
      { path: 'mllp.port', message: 'value is encrypted but HL7_KEY is not set' },
    ]);
  });

  it('reports every problem of a file at once', () => {
    const result = loadConfig({ env: 'local', dir: configDir(local('db: {driver: x, port: y}\nbogus: 1\n')), key: KEY });
    expect(result.ok ? [] : result.problems.map((p) => p.path).sort()).toEqual(['(top level)', 'db.driver', 'db.port']);
  });
});

describe('formatProblems', () => {
  it('puts a header with HL7_ENV and the absolute folder above one line per problem', () => {
    const text = formatProblems(
      [
        { path: 'db.password', message: 'value is encrypted but HL7_KEY is not set' },
        { path: 'mllp.port', message: 'expected a number, got a string' },
      ],
      { env: 'docker', dir: 'config' },
    );
    expect(text.split('\n')).toEqual([
      `Configuration is invalid (HL7_ENV=docker, ${resolve('config')}):`,
      '  - db.password: value is encrypted but HL7_KEY is not set',
      '  - mllp.port: expected a number, got a string',
    ]);
  });
});

describe('resolveConfigOptions', () => {
  it.each([
    [{}, { env: 'local', dir: './config', key: undefined, keyFile: undefined }],
    [
      { HL7_ENV: 'docker', HL7_CONFIG_DIR: '/etc/hl7', HL7_KEY: 'k', HL7_KEY_FILE: '/run/secrets/hl7_key' },
      { env: 'docker', dir: '/etc/hl7', key: 'k', keyFile: '/run/secrets/hl7_key' },
    ],
  ])('%j → %j', (env, expected) => {
    expect(resolveConfigOptions(env)).toEqual(expected);
  });
});

import { createHash } from 'node:crypto';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { httpsSchema } from '../config/schema.ts';
import { runSecure } from './secure.ts';

const KEY = 'cli-test-key-7d2';
const SECRET = 'p@ss w0rd';

function run(args: string[], env: NodeJS.ProcessEnv = { HL7_KEY: KEY }) {
  const out: string[] = [];
  const err: string[] = [];
  const code = runSecure(args, env, { out: (s) => out.push(s), err: (s) => err.push(s) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('runSecure', () => {
  it('encrypt prints one ![...] value and nothing else', () => {
    const result = run(['encrypt', SECRET]);
    expect(result).toMatchObject({ code: 0, err: '' });
    expect(result.out).toMatch(/^!\[[A-Za-z0-9_-]+\]$/);
  });

  it('decrypt reads back what encrypt wrote', () => {
    expect(run(['decrypt', run(['encrypt', SECRET]).out])).toEqual({ code: 0, out: SECRET, err: '' });
  });

  it('prints usage on stdout for help', () => {
    const result = run(['--help'], {});
    expect(result.code).toBe(0);
    expect(result.out).toContain('usage:');
  });

  const cipher = run(['encrypt', SECRET]).out;
  it.each([
    ['no command', [], { HL7_KEY: KEY }, 'usage:'],
    ['an unknown command', ['rot13', SECRET], { HL7_KEY: KEY }, 'usage:'],
    ['a missing value', ['encrypt'], { HL7_KEY: KEY }, 'usage:'],
    ['too many values', ['encrypt', 'p@ss', 'w0rd'], { HL7_KEY: KEY }, 'exactly one value'],
    ['no HL7_KEY', ['encrypt', SECRET], {}, 'HL7_KEY is not set'],
    ['an empty HL7_KEY', ['decrypt', cipher], { HL7_KEY: '' }, 'HL7_KEY is empty'],
    ['an empty value', ['encrypt', ''], { HL7_KEY: KEY }, 'value is empty'],
    ['the wrong key', ['decrypt', cipher], { HL7_KEY: 'wrong-key' }, 'wrong HL7_KEY or tampered value'],
    ['a tampered value', ['decrypt', `${cipher.slice(0, -3)}zz]`], { HL7_KEY: KEY }, 'wrong HL7_KEY or tampered value'],
    ['plain text to decrypt', ['decrypt', SECRET], { HL7_KEY: KEY }, 'expected ![...]'],
  ] as const)('fails with exit 1 on %s, without echoing the input', (_name, args, env, message) => {
    const result = run([...args], env);
    expect(result.code).toBe(1);
    expect(result.out).toBe('');
    expect(result.err).toContain(message);
    for (const hidden of [SECRET, 'p@ss', 'w0rd', cipher.slice(2, 14), 'wrong-key']) {
      expect(result.err).not.toContain(hidden);
    }
  });
});

describe('runSecure new-api-key', () => {
  it('prints a fresh key once and an https.apiKeys entry holding its SHA-256, without HL7_KEY', () => {
    const result = run(['new-api-key', 'ehr-cloud'], {});
    expect(result.code).toBe(0);
    const key = /^ {2}(hl7k_[A-Za-z0-9_-]{43})$/m.exec(result.out)?.[1];
    expect(key).toBeDefined();
    const digest = createHash('sha256').update(key ?? '').digest('hex');
    expect(result.out).toContain(`  - name: ehr-cloud\n    sha256: ${digest}\n    roles: [ingest]`);
    expect(result.out.split(key ?? '').length - 1).toBe(1);
    // The entry is valid configuration as printed.
    const entry = load(result.out.slice(result.out.indexOf('  - name:')).split('\nThe sender')[0] ?? '');
    expect(httpsSchema.parse({ apiKeys: entry }).apiKeys).toEqual([{ name: 'ehr-cloud', sha256: digest, roles: ['ingest'] }]);
  });

  it('makes a different key every time', () => {
    expect(run(['new-api-key', 'a']).out).not.toBe(run(['new-api-key', 'a']).out);
  });

  it.each([
    [['--roles', 'ingest,read'], '[ingest, read]'],
    [['--roles=read'], '[read]'],
  ])('takes roles %j', (options, printed) => {
    const result = run(['new-api-key', 'dash', ...options]);
    expect(result.code).toBe(0);
    expect(result.out).toContain(`roles: ${printed}`);
  });

  it.each([
    ['no name', []],
    ['a name YAML would misread', ['ehr: cloud']],
    ['an unknown role', ['ehr', '--roles', 'admin']],
    ['an empty role list', ['ehr', '--roles', '']],
    ['a stray argument', ['ehr', 'extra']],
  ])('refuses %s with exit 1', (_name, rest) => {
    const result = run(['new-api-key', ...rest]);
    expect(result).toMatchObject({ code: 1, out: '' });
    expect(result.err).toContain('usage: npm run secure -- new-api-key');
  });
});

import { describe, expect, it } from 'vitest';
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

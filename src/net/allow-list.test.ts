import { describe, expect, it } from 'vitest';
import { createAddressMatcher } from './allow-list.ts';

describe('createAddressMatcher', () => {
  it.each([
    [undefined, '203.0.113.9', true],
    [[], '203.0.113.9', true],
    [['10.0.0.0/8'], '10.1.2.3', true],
    [['10.0.0.0/8'], '11.1.2.3', false],
    [['10.0.0.0/8'], '::ffff:10.1.2.3', true],
    [['127.0.0.1'], '127.0.0.1', true],
    [['127.0.0.1'], '127.0.0.2', false],
    [['::1'], '::1', true],
    [['fd00::/8'], 'fd12::1', true],
    [['fd00::/8'], '10.0.0.1', false],
    [['10.0.0.0/8'], 'unknown', false],
  ] as const)('%j matches %s: %s', (entries, address, expected) => {
    expect(createAddressMatcher(entries as readonly string[] | undefined)(address)).toBe(expected);
  });

  it('throws on an entry that is not an address', () => {
    expect(() => createAddressMatcher(['10.0.0.0.0/8'])).toThrow(/not an IP address/);
  });
});

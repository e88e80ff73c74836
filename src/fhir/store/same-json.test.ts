import { describe, expect, it } from 'vitest';
import { isSameJson } from './same-json.ts';

describe('isSameJson', () => {
  it.each([
    ['key order aside', { a: 1, b: { c: [1, 2], d: 'x' } }, { b: { d: 'x', c: [1, 2] }, a: 1 }, true],
    ['array order counts', { a: [1, 2] }, { a: [2, 1] }, false],
    ['a key more', { a: 1 }, { a: 1, b: 2 }, false],
    ['a key fewer', { a: 1, b: 2 }, { a: 1 }, false],
    ['an undefined key is absent', { a: 1, b: undefined }, { a: 1 }, true],
    ['undefined in an array is null', [undefined, 1], [null, 1], true],
    ['a non-finite number is null', { a: Number.NaN }, { a: null }, true],
    ['a number is not its string', { a: 1 }, { a: '1' }, false],
    ['null is not an empty object', { a: null }, { a: {} }, false],
    ['an array is not an object', { a: [] }, { a: {} }, false],
    ['toJSON is called', { at: new Date(0) }, { at: '1970-01-01T00:00:00.000Z' }, true],
    ['nested difference', { a: [{ b: { c: 1 } }] }, { a: [{ b: { c: 2 } }] }, false],
    ['same key count, other keys', { a: 1, b: undefined }, { c: 1 }, false],
  ])('%s', (_name, a, b, expected) => {
    expect(isSameJson(a, b)).toBe(expected);
    expect(isSameJson(b, a)).toBe(expected);
    expect(canonical(a) === canonical(b)).toBe(expected);
  });

  it('agrees with comparing sorted-key serialisations on generated values', () => {
    let seed = 7;
    const random = (): number => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32);
    const leaves = [null, 0, 1, -2.5, '', 'a', 'b', true, false, undefined];
    const gen = (depth: number): unknown => {
      const r = random();
      if (depth === 0 || r < 0.4) return leaves[Math.floor(random() * leaves.length)];
      if (r < 0.7) return Array.from({ length: Math.floor(random() * 3) }, () => gen(depth - 1));
      const keys = ['x', 'y', 'z'].filter(() => random() < 0.6);
      if (random() < 0.5) keys.reverse();
      return Object.fromEntries(keys.map((k) => [k, gen(depth - 1)]));
    };
    let equal = 0;
    for (let i = 0; i < 5000; i++) {
      const a = gen(3);
      // Half the time a reordered deep copy of a (equal), else an independent value (mostly not).
      const b = random() < 0.5 ? reorder(a) : gen(3);
      const expected = canonical(a) === canonical(b);
      if (expected) equal += 1;
      expect(isSameJson(a, b)).toBe(expected);
    }
    expect(equal).toBeGreaterThan(1000);
  });
});

function reorder(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reorder);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).reverse().map(([k, v]) => [k, reorder(v)]));
  return value;
}

/** The comparison the store made before: JSON with object keys sorted. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

import { describe, expect, it } from 'vitest';
import { createBusyMeter } from './busy-meter.ts';

/** A timeline of [at ms, what]; the share returned by the last 'read' is checked. */
type Case = { name: string; timeline: [number, 'start' | 'end' | 'read'][]; expected: number };

const cases: Case[] = [
  { name: 'idle', timeline: [[300, 'read'], [600, 'read']], expected: 0 },
  { name: 'one commit over two whole windows', timeline: [[0, 'start'], [250, 'read'], [500, 'read']], expected: 1 },
  { name: 'one busy window is a burst, not busy', timeline: [[0, 'start'], [250, 'end'], [250, 'read'], [500, 'read']], expected: 0 },
  {
    name: 'a quarter of each window',
    timeline: [[0, 'start'], [25, 'end'], [100, 'start'], [137.5, 'end'], [250, 'read'], [250, 'start'], [312.5, 'end'], [500, 'read']],
    expected: 0.25,
  },
  { name: 'the lower of the two windows', timeline: [[0, 'start'], [200, 'end'], [250, 'read'], [250, 'start'], [300, 'end'], [500, 'read']], expected: 0.2 },
  {
    name: 'overlapping commits count once',
    timeline: [[0, 'start'], [10, 'start'], [50, 'end'], [100, 'end'], [250, 'read'], [250, 'start'], [350, 'end'], [500, 'read']],
    expected: 0.4,
  },
  { name: 'no complete window yet', timeline: [[0, 'start'], [100, 'read']], expected: 0 },
  { name: 'the running window does not count', timeline: [[0, 'start'], [250, 'read'], [500, 'read'], [500, 'end'], [700, 'read']], expected: 1 },
  { name: 'a commit that spans windows: its part in each', timeline: [[200, 'start'], [250, 'read'], [500, 'read']], expected: 0.2 },
  { name: 'a commit that spans windows: whole windows after', timeline: [[200, 'start'], [250, 'read'], [500, 'read'], [750, 'read']], expected: 1 },
  { name: 'an end without a start is ignored', timeline: [[10, 'end'], [250, 'read'], [500, 'read']], expected: 0 },
];

describe('busy meter', () => {
  it.each(cases)('$name', ({ timeline, expected }) => {
    let now = 0;
    const meter = createBusyMeter(250, () => now);
    let share = Number.NaN;
    for (const [at, what] of timeline) {
      now = at;
      if (what === 'start') meter.started();
      else if (what === 'end') meter.ended();
      else share = meter.share();
    }
    expect(share).toBeCloseTo(expected, 5);
  });
});

import { describe, expect, it } from 'vitest';
import { retentionSchema } from '../config/schema.ts';
import { deletableStatuses, expiryCutoffs, isRetentionEnabled } from './policy.ts';

const now = new Date('2026-03-01T00:00:00.000Z');
const daysAgo = (days: number) => new Date(now.getTime() - days * 86_400_000);

describe('deletableStatuses', () => {
  it('is pinned: received rows are deletable only while nothing processes them (remove received once processing exists)', () => {
    expect(deletableStatuses).toEqual(['received', 'rejected']);
  });
});

describe('expiryCutoffs', () => {
  it.each([
    ['nothing set: everything kept', {}, null, null],
    ['days only: rejectedDays defaults to it', { days: 30 }, 30, 30],
    ['both set', { days: 30, rejectedDays: 7 }, 30, 7],
    ['rejectedDays only: accepted rows kept', { rejectedDays: 7 }, null, 7],
  ])('%s', (_name, input, accepted, rejected) => {
    const config = retentionSchema.parse(input);
    expect(expiryCutoffs(config, now)).toEqual({
      acceptedBefore: accepted === null ? null : daysAgo(accepted),
      rejectedBefore: rejected === null ? null : daysAgo(rejected),
    });
    expect(isRetentionEnabled(config)).toBe(accepted !== null || rejected !== null);
  });
});

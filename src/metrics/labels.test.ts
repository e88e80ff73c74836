import { describe, expect, it } from 'vitest';
import { createLabeler } from './labels.ts';

describe('metric labels for message type and trigger event', () => {
  const label = createLabeler({ ADT: ['A01', 'A04'], ORU: ['R01'], ZZZ: ['*'] });

  it.each([
    ['ADT', 'A01', 'ADT', 'A01'],
    ['ORU', 'R01', 'ORU', 'R01'],
    ['ADT', 'A99', 'ADT', 'other'],
    ['ADT', null, 'ADT', 'none'],
    ['XYZ', 'A01', 'other', 'other'],
    ['<script>', 'anything', 'other', 'other'],
    [null, null, 'none', 'none'],
    [null, 'A01', 'none', 'none'],
    // A wildcard type accepts any event text: one bucket, never the text itself.
    ['ZZZ', 'Q42', 'ZZZ', 'other'],
  ])('%s^%s is labelled type=%s event=%s', (type, event, wantType, wantEvent) => {
    expect(label(type, event)).toEqual({ type: wantType, event: wantEvent });
  });
});

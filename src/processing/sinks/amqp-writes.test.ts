import { describe, expect, it } from 'vitest';
import { batchSocketWrites } from './amqp-writes.ts';

// The Mux wrapper: a pass of writes runs corked and is uncorked after it; without amqplib's
// internals nothing is touched.

function fakeModel() {
  const events: string[] = [];
  const stream = { cork: () => events.push('cork'), uncork: () => events.push('uncork') };
  const muxer = { _readIncoming: () => events.push('write') };
  return { model: { connection: { muxer, stream } }, muxer, events };
}

describe('batching amqplib socket writes', () => {
  it('corks each Mux pass and uncorks after it', async () => {
    const { model, muxer, events } = fakeModel();
    expect(batchSocketWrites(model)).toBe(true);
    muxer._readIncoming();
    muxer._readIncoming();
    expect(events).toEqual(['cork', 'write', 'cork', 'write']);
    await new Promise((resolve) => process.nextTick(resolve));
    expect(events).toEqual(['cork', 'write', 'cork', 'write', 'uncork', 'uncork']);
  });

  it('uncorks when the pass throws', async () => {
    const { model, muxer, events } = fakeModel();
    muxer._readIncoming = () => {
      throw new Error('boom');
    };
    batchSocketWrites(model);
    expect(() => muxer._readIncoming()).toThrow('boom');
    await new Promise((resolve) => process.nextTick(resolve));
    expect(events).toEqual(['cork', 'uncork']);
  });

  const missing = [
    { name: 'no connection', model: {} },
    { name: 'no muxer', model: { connection: { stream: { cork() {}, uncork() {} } } } },
    { name: 'a stream that cannot cork', model: { connection: { muxer: { _readIncoming() {} }, stream: {} } } },
    { name: 'null', model: null },
  ];
  it.each(missing)('leaves amqplib alone without its internals: $name', ({ model }) => {
    expect(batchSocketWrites(model)).toBe(false);
  });
});

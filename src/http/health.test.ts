import { describe, expect, it } from 'vitest';
import { checkReadiness, type Readiness, type ReadinessProbes } from './health.ts';

const up: ReadinessProbes = {
  pingStore: async () => {},
  mllpListening: () => true,
  httpsListening: () => true,
  timeoutMs: 1000,
};

describe('checkReadiness', () => {
  it.each([
    ['everything up', {}, true, { store: 'up', mllp: 'up', https: 'up' }],
    ['https disabled', { httpsListening: () => null }, true, { store: 'up', mllp: 'up', https: 'disabled' }],
    ['store refuses', { pingStore: () => Promise.reject(new Error('ECONNRESET')) }, false, { store: 'down', mllp: 'up', https: 'up' }],
    ['MLLP not listening', { mllpListening: () => false }, false, { store: 'up', mllp: 'down', https: 'up' }],
    ['HTTPS not listening', { httpsListening: () => false }, false, { store: 'up', mllp: 'up', https: 'down' }],
  ] satisfies [string, Partial<ReadinessProbes>, boolean, Readiness['checks']][])('%s', async (_name, change, ready, checks) => {
    expect(await checkReadiness({ ...up, ...change })).toEqual({ ready, checks });
  });

  it('counts a ping that never answers as down once the timeout passes', async () => {
    const started = Date.now();
    const readiness = await checkReadiness({ ...up, pingStore: () => new Promise(() => {}), timeoutMs: 100 });
    expect(readiness).toEqual({ ready: false, checks: { store: 'down', mllp: 'up', https: 'up' } });
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

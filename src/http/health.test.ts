import { describe, expect, it } from 'vitest';
import { checkReadiness, type Readiness, type ReadinessProbes } from './health.ts';

const up: ReadinessProbes = {
  pingStore: async () => {},
  mllpListening: () => true,
  httpsListening: () => true,
  timeoutMs: 1000,
};

const lagging = (age: number | null | Error): ReadinessProbes['processing'] => ({
  oldestWaitingSeconds: () => (age instanceof Error ? Promise.reject(age) : Promise.resolve(age)),
  maxLagSeconds: 300,
});

type Expected = { ready: boolean; degraded?: boolean; checks: Partial<Readiness['checks']> };

describe('checkReadiness', () => {
  it.each([
    ['everything up', {}, { ready: true, checks: { store: 'up', mllp: 'up', https: 'up' } }],
    ['https disabled', { httpsListening: () => null }, { ready: true, checks: { store: 'up', mllp: 'up', https: 'disabled' } }],
    ['store refuses', { pingStore: () => Promise.reject(new Error('ECONNRESET')) }, { ready: false, checks: { store: 'down', mllp: 'up', https: 'up' } }],
    ['MLLP not listening', { mllpListening: () => false }, { ready: false, checks: { store: 'up', mllp: 'down', https: 'up' } }],
    ['HTTPS not listening', { httpsListening: () => false }, { ready: false, checks: { store: 'up', mllp: 'up', https: 'down' } }],
    ['processing: nothing waits', { processing: lagging(null) }, { ready: true, checks: { processing: 'up' } }],
    ['processing: within maxLagSeconds', { processing: lagging(300) }, { ready: true, checks: { processing: 'up' } }],
    ['processing: behind, still ready', { processing: lagging(300.5) }, { ready: true, degraded: true, checks: { processing: 'degraded' } }],
    ['processing: store down', { processing: lagging(900), pingStore: () => Promise.reject(new Error('x')) }, { ready: false, checks: { store: 'down', processing: 'unknown' } }],
    ['processing: backlog unreadable', { processing: lagging(new Error('down')) }, { ready: true, checks: { processing: 'unknown' } }],
  ] satisfies [string, Partial<ReadinessProbes>, Expected][])('%s', async (_name, change, expected) => {
    const readiness = await checkReadiness({ ...up, ...change });
    const want: Expected = expected;
    const checks = { store: 'up', mllp: 'up', https: 'up', processing: 'disabled', ...want.checks };
    expect(readiness).toEqual({ ready: want.ready, degraded: want.degraded ?? false, checks });
  });

  it('counts a ping that never answers as down once the timeout passes', async () => {
    const started = Date.now();
    const never = { oldestWaitingSeconds: () => new Promise<null>(() => {}), maxLagSeconds: 1 };
    const readiness = await checkReadiness({ ...up, pingStore: () => new Promise(() => {}), processing: never, timeoutMs: 100 });
    expect(readiness).toEqual({ ready: false, degraded: false, checks: { store: 'down', mllp: 'up', https: 'up', processing: 'unknown' } });
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

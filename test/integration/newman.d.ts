// newman 6 ships no type declarations (and @types/newman is not installed): the part of its
// programmatic API that test/integration/postman.test.ts uses.
declare module 'newman' {
  import type { EventEmitter } from 'node:events';

  export type NewmanRunOptions = {
    collection: string | object;
    environment?: string | object;
    envVar?: { key: string; value: string }[];
    insecure?: boolean;
    sslExtraCaCerts?: string;
    reporters?: string | string[];
    timeoutRequest?: number;
    bail?: boolean;
  };

  export type NewmanRunFailure = {
    error: { name: string; message: string; test?: string };
    source?: { name?: string };
  };

  export type NewmanRunSummary = {
    run: {
      stats: Record<'requests' | 'assertions' | 'testScripts' | 'prerequestScripts', { total: number; failed: number; pending: number }>;
      failures: NewmanRunFailure[];
    };
  };

  export function run(options: NewmanRunOptions, callback: (err: Error | null, summary: NewmanRunSummary) => void): EventEmitter;

  const newman: { run: typeof run };
  export default newman;
}

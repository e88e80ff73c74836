// Bench instrumentation, preloaded into a measured process (`node --import tsx --import
// ./bench/heap-probe.ts ...`) only when the bench spawns it with an IPC channel: answers
// 'memory' (and 'memory-gc', which collects first when --expose-gc is set) with
// process.memoryUsage(). Nothing else; the service code does not know it is there.

type Query = 'memory' | 'memory-gc';

const reply = process.send?.bind(process);
if (reply !== undefined) {
  process.on('message', (query: Query) => {
    if (query !== 'memory' && query !== 'memory-gc') return;
    const gc = (globalThis as { gc?: () => void }).gc;
    if (query === 'memory-gc' && gc !== undefined) gc();
    reply({ memory: process.memoryUsage() });
  });
  // The channel must not keep the process alive: it runs until its own shutdown path ends it.
  process.channel?.unref();
}

export {};

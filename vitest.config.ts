import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration files each create their own database; run files in parallel, tests in order.
    fileParallelism: true,
    reporters: ['default'],
  },
});

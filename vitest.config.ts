import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration tests start hubs and servers on loopback; two cores, so keep the pool small.
    maxWorkers: 2,
  },
});

import { defineConfig } from 'vitest/config';

// Tests run against the real tfjs-node backend: each file in its own process (forks),
// because a native addon and TensorFlow's thread pools do not belong in worker threads
// that vitest recycles. Two cores here, so two workers.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});

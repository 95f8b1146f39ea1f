import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// Tests run against the real tfjs-node backend: each file in its own process (forks),
// because a native addon and TensorFlow's thread pools do not belong in worker threads
// that vitest recycles. Two cores here, so two workers.
export default defineConfig({
  test: {
    environment: 'node',
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default'],
    // The renderer's state classes (.svelte.ts) need Svelte's compiler and its browser
    // runtime; the end-to-end tests need the app built and the browser-mode server up once.
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          include: ['test/**/*.test.ts'],
          // The CLI and browser-mode tests spawn the compiled entries in out/node.
          globalSetup: ['test/helpers/node-build.ts'],
          exclude: ['test/renderer/**', 'test/e2e/**', '**/node_modules/**'],
        },
      },
      {
        extends: true,
        plugins: [svelte()],
        resolve: { conditions: ['browser'] },
        test: { name: 'renderer', include: ['test/renderer/**/*.test.ts'] },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: ['test/e2e/global-setup.ts'],
          // Every e2e file drives the one browser-mode server and its one engine (one corpus,
          // one run at a time): files run one after another.
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 240_000,
        },
      },
    ],
  },
});

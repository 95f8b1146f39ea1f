/**
 * Builds the three parts of the desktop app into out/:
 * - main: Electron main (out/main/index.js) and the engine process (out/main/engine.js),
 *   ES modules with every dependency left external (tfjs-node is a native addon);
 * - preload: out/preload/index.cjs — CommonJS, because a sandboxed preload cannot be an
 *   ES module (and may require only `electron` and a few builtins, so nothing else is imported);
 * - renderer: the Svelte app from src-renderer/ (out/renderer), with relative asset URLs
 *   so it loads from file:// in the app and from / in browser mode.
 */
import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import type { Plugin } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

const root = import.meta.dirname;

/**
 * electron-vite prepends `const require = createRequire(import.meta.url)` to ES chunks that
 * use `require`; a module that declares its own `require` the same way (to load the native
 * tfjs-node addon) then fails with "Identifier 'require' has already been declared". Both
 * bindings are the same function of the chunk's URL, so the module's own line is dropped.
 */
function dedupeRequireShim(): Plugin {
  const own = /^(?:var|let|const) require = createRequire\(import\.meta\.url\);\n/m;
  return {
    name: 'lstm-studio:dedupe-require-shim',
    generateBundle(_options, bundle) {
      for (const chunk of Object.values(bundle)) {
        if (
          chunk.type === 'chunk' &&
          chunk.code.includes('__shims_module__.createRequire') &&
          own.test(chunk.code)
        ) {
          chunk.code = chunk.code.replace(own, '');
        }
      }
    },
  };
}

export default defineConfig({
  main: {
    plugins: [dedupeRequireShim()],
    build: {
      outDir: 'out/main',
      externalizeDeps: true,
      rollupOptions: {
        input: {
          index: resolve(root, 'src-main/app/main.ts'),
          engine: resolve(root, 'src-main/engine/process-entry.ts'),
        },
        // Chunks beside the entries: modules that find assets relative to themselves
        // (the sample corpus) sit two levels below the project root, as in src-main/.
        output: { format: 'es', entryFileNames: '[name].js', chunkFileNames: '[name]-[hash].js' },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      externalizeDeps: true,
      rollupOptions: {
        input: { index: resolve(root, 'src-main/app/preload.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(root, 'src-renderer'),
    base: './',
    plugins: [svelte()],
    build: {
      outDir: resolve(root, 'out/renderer'),
      emptyOutDir: true,
      rollupOptions: { input: { index: resolve(root, 'src-renderer/index.html') } },
    },
  },
});

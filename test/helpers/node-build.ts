/**
 * Global setup of the node tests: builds out/node (the compiled CLI, browser-mode server and
 * engine) once before any test spawns them, so parallel test files do not each build it and
 * no test sees the one-line build notice in its output.
 */
import { createRequire } from 'node:module';

export default function setup(): void {
  const { ensureBuilt } = createRequire(import.meta.url)(
    '../../src-main/launch/node-build.cjs',
  ) as {
    ensureBuilt: () => void;
  };
  ensureBuilt();
}

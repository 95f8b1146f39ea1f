/**
 * The engine, and with it TensorFlow, for the commands that compute with a model (`train`,
 * `generate`, `eval`, `predict`). Nothing else in the CLI imports it, so `--help`, `inspect`,
 * `export`, `doctor --quick` and argument errors never load TensorFlow.
 *
 * A command calls `engineFor(files)` as soon as its arguments are checked and before it
 * reads its corpus or model: TensorFlow starts loading as soon as those files are known to
 * exist (a missing file fails at once, without the load). TensorFlow's load
 * is synchronous native work on the main thread (dlopen of libtensorflow and its eager
 * context), so what runs alongside it is the reading already in flight (file reads and zip
 * inflation on libuv's threads), not the JavaScript decoding that follows. With `--debug`
 * the load time is printed on stderr.
 */
import { access } from 'node:fs/promises';
import type * as Engine from '../engine';

let loading: Promise<typeof Engine> | null = null;
let reportTimes = false;

/** `--debug`: print how long TensorFlow took to load. */
export function reportLoadTimes(on: boolean): void {
  reportTimes = on;
}

/** Starts loading the engine (once per process) and returns the promise of it. */
export function startEngine(): Promise<typeof Engine> {
  if (!loading) {
    const started = performance.now();
    loading = import('../engine/tf').then(async () => {
      const loaded = performance.now();
      const engine = await import('../engine');
      if (reportTimes) {
        process.stderr.write(
          `debug: TensorFlow loaded in ${Math.round(loaded - started)} ms (engine ready after ${Math.round(performance.now() - started)} ms)\n`,
        );
      }
      return engine;
    });
    // A command that fails before it needs the engine must not also report the engine's
    // failure as an unhandled rejection; one that awaits it still gets the error.
    loading.catch(() => undefined);
  }
  return loading;
}

/**
 * Starts loading the engine once every file in `files` exists and can be read (at once for
 * none), and returns how to wait for it. When a file cannot be read, the load waits for the
 * first call, which the command's own read, failing with its proper message, never reaches.
 */
export function engineFor(files: readonly string[]): () => Promise<typeof Engine> {
  const readable = Promise.all(files.map((file) => access(file))).then(
    () => void startEngine(),
    () => undefined,
  );
  return async () => {
    await readable;
    return startEngine();
  };
}

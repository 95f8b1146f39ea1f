/**
 * Starts the engine as a Node child process (child_process.fork), for browser mode and
 * tests. Built (out/node/), this module forks the built engine beside it (engine.js); run
 * from the TypeScript sources (tests, development) it forks process-entry.ts through tsx.
 */
import { fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { EngineConnection, EngineLauncher } from './engine-host';

export interface NodeLauncherOptions {
  /** Passed to the engine as `--data-dir`. */
  dataDir: string;
  /** The engine entry; defaults to src-main/engine/process-entry.ts. */
  entry?: string;
  /** Extra environment for the engine (inherits the host's otherwise). */
  env?: NodeJS.ProcessEnv;
}

/** The engine process's entry: the built one beside a built host, else the TypeScript source. */
export const ENGINE_ENTRY = fileURLToPath(
  import.meta.url.endsWith('.ts')
    ? new URL('../engine/process-entry.ts', import.meta.url)
    : new URL('./engine.js', import.meta.url),
);

/** A launcher that forks a fresh engine process each time it is called. */
export function nodeEngineLauncher(options: NodeLauncherOptions): EngineLauncher {
  const entry = options.entry ?? ENGINE_ENTRY;
  const execArgv = entry.endsWith('.ts')
    ? ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href]
    : [];
  return () => {
    const child = fork(entry, ['--data-dir', options.dataDir], {
      execArgv,
      env: options.env ?? process.env,
      // The engine's stdout goes to our stderr: a host's stdout may be a protocol of its own
      // (`npm run web` prints exactly one URL line there).
      stdio: ['ignore', 2, 2, 'ipc'],
      // 'advanced' (the structured clone, as Electron's utilityProcess uses): replies carry
      // typed arrays (look-inside activations), which JSON would turn into objects of numbers.
      serialization: 'advanced',
    });
    const connection: EngineConnection = {
      send: (message) => {
        if (child.connected) child.send(message);
      },
      onMessage: (listener) => child.on('message', listener),
      onExit: (listener) => {
        if (child.exitCode !== null || child.signalCode !== null) {
          listener({ code: child.exitCode, signal: child.signalCode });
        } else {
          child.once('exit', (code, signal) => listener({ code, signal }));
        }
      },
      kill: (signal) => {
        if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      },
      get pid() {
        return child.pid;
      },
    };
    // An engine that fails to spawn reports it as an exit, like any other death.
    child.on('error', () => undefined);
    return connection;
  };
}

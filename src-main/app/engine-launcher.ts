/**
 * Starts the engine in an Electron utilityProcess (a Node process Electron manages, with
 * a message port to main) and adapts it to the host's EngineConnection.
 */
import { utilityProcess } from 'electron';
import type { EngineConnection, EngineLauncher } from '../host/engine-host';

/** A launcher for the built engine entry (out/main/engine.js). */
export function utilityEngineLauncher(entry: string, dataDir: string): EngineLauncher {
  return () => {
    const child = utilityProcess.fork(entry, ['--data-dir', dataDir], {
      serviceName: 'LSTM Studio Engine',
      stdio: 'inherit',
    });
    let exited: { code: number | null; signal: string | null } | null = null;
    const exitListeners: Array<(exit: { code: number | null; signal: string | null }) => void> = [];
    child.on('exit', (code) => {
      // utilityProcess reports only a code; a crash shows up as a non-zero one.
      exited = { code, signal: null };
      for (const listener of exitListeners.splice(0)) listener(exited);
    });
    const connection: EngineConnection = {
      send: (message) => {
        if (!exited) child.postMessage(message);
      },
      onMessage: (listener) => child.on('message', listener),
      onExit: (listener) => {
        if (exited) listener(exited);
        else exitListeners.push(listener);
      },
      kill: (signal) => {
        if (exited) return;
        // kill() is SIGTERM on POSIX; a hard kill needs the pid.
        if (signal === 'SIGKILL' && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
        else child.kill();
      },
      get pid() {
        return child.pid;
      },
    };
    return connection;
  };
}

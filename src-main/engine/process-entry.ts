/**
 * The engine process's main. It loads tfjs-node once (through tf.ts), then serves wire messages from its
 * parent: Electron main (a utilityProcess, talking over `process.parentPort`) or a Node
 * host (a child_process.fork, talking over `process.send`). Everything else lives in
 * EngineService; this file is only the two transport adapters and the process lifecycle.
 *
 * Arguments: `--data-dir <dir>` (run folders, recent models). The first message it sends
 * is `engine:status` ready (or crashed, with the reason, when TensorFlow cannot load).
 */
import path from 'node:path';
import os from 'node:os';
import type { WireMessage } from '../protocol/messages';
import { userMessage } from '../errors';
import { EngineService } from './service';

/** One way to talk to the parent. */
interface ParentTransport {
  send(message: WireMessage): void;
  onMessage(listener: (message: unknown) => void): void;
}

/** Electron's utilityProcess side of a MessagePort (`process.parentPort`). */
interface ParentPortLike {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (event: { data: unknown }) => void): void;
}

function parentTransport(): ParentTransport {
  const parentPort = (process as unknown as { parentPort?: ParentPortLike }).parentPort;
  if (parentPort) {
    return {
      send: (message) => parentPort.postMessage(message),
      onMessage: (listener) => parentPort.on('message', (event) => listener(event.data)),
    };
  }
  if (typeof process.send === 'function') {
    return {
      send: (message) => {
        // A parent that is gone cannot be told anything; the disconnect handler exits.
        if (process.connected) process.send?.(message);
      },
      onMessage: (listener) => process.on('message', listener),
    };
  }
  throw new Error(
    'the engine process must be started by a host (utilityProcess or child_process.fork)',
  );
}

function argument(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

async function main(): Promise<void> {
  const transport = parentTransport();
  const dataDir = path.resolve(argument('--data-dir') ?? path.join(os.homedir(), '.lstm-studio'));
  try {
    // Loaded once, up front: the first command should not pay for it, and a missing
    // native library should be reported as the reason the engine is not ready. Through
    // tf.ts, so its thread settings apply and TensorFlow's load-time notices are filtered.
    await import('./tf');
  } catch (error) {
    transport.send({
      kind: 'event',
      event: {
        type: 'engine:status',
        status: 'crashed',
        message: `TensorFlow could not load: ${userMessage(error)}`,
      },
    });
    process.exitCode = 1;
    setTimeout(() => process.exit(1), 100);
    return;
  }

  const service = new EngineService({
    dataDir,
    emit: (event) => transport.send({ kind: 'event', event }),
  });
  transport.onMessage((message) => {
    void service.handleMessage(message).then((reply) => {
      if (reply) transport.send(reply);
    });
  });

  let quitting = false;
  const quit = () => {
    if (quitting) return;
    quitting = true;
    // Stopping training writes its last checkpoint; only then is it safe to exit.
    void service.shutdown().finally(() => process.exit(0));
  };
  process.on('SIGTERM', quit);
  process.on('SIGINT', quit);
  process.on('disconnect', quit);

  transport.send({ kind: 'event', event: { type: 'engine:status', status: 'ready' } });
}

void main();

/**
 * `npm run web [-- --port N] [-- --data-dir DIR] [-- --no-build]`: browser mode. Builds
 * the renderer when out/renderer is missing or older than its sources, starts the engine
 * process and the server, and prints ONE line on stdout: the URL with its token. Build
 * output and notes go to stderr, so scripts can read the URL from stdout. Everything the
 * server and its engine write from then on is the user's alone (umask 077).
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { userMessage } from '../errors';
import { EngineHost } from '../host/engine-host';
import { nodeEngineLauncher } from '../host/node-launcher';
import { DEFAULT_LIMITS, startServer } from './server';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const RENDERER_OUT = path.join(ROOT, 'out', 'renderer');

/** The newest modification time of any file under `dir` (0 when it does not exist). */
function newestMtime(dir: string): number {
  if (!existsSync(dir)) return 0;
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    newest = Math.max(newest, statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/** True when the built renderer is missing or older than src-renderer/ or the shared contract. */
function rendererIsStale(root = ROOT): boolean {
  const index = path.join(root, 'out', 'renderer', 'index.html');
  if (!existsSync(index)) return true;
  const built = statSync(index).mtimeMs;
  return (
    Math.max(
      newestMtime(path.join(root, 'src-renderer')),
      newestMtime(path.join(root, 'src-main', 'protocol')),
    ) > built
  );
}

function build(): Promise<void> {
  return new Promise((resolve, reject) => {
    const bin = path.join(
      ROOT,
      'node_modules',
      '.bin',
      process.platform === 'win32' ? 'electron-vite.cmd' : 'electron-vite',
    );
    process.stderr.write(
      'LSTM Studio: building the app (out/ is missing or older than the sources)…\n',
    );
    // The build's chatter goes to stderr: stdout carries only the URL line.
    const child = spawn(bin, ['build'], {
      cwd: ROOT,
      stdio: ['ignore', process.stderr, process.stderr],
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`the build failed (exit code ${code})`)),
    );
  });
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new InvalidArgumentError('a port is 0–65535');
  return port;
}

function parseHours(value: string): number {
  const hours = Number(value);
  if (!Number.isFinite(hours) || hours <= 0 || hours > 24 * 365)
    throw new InvalidArgumentError('The age is a number of hours above 0 (at most a year).');
  return hours;
}

async function main(argv: string[]): Promise<number> {
  const program = new Command('npm run web')
    .description(
      'Serve LSTM Studio to a browser on this machine (127.0.0.1 only, with an access token).',
    )
    .option('--port <port>', 'port to listen on (default: a free one)', parsePort, 0)
    .option(
      '--host <host>',
      'interface to bind: only 127.0.0.1 (use an SSH tunnel to reach it from elsewhere)',
      '127.0.0.1',
    )
    .option(
      '--data-dir <dir>',
      'where runs, uploads, saved models and exports go',
      process.env.LSTM_STUDIO_DATA ?? path.join(os.homedir(), '.lstm-studio'),
    )
    .option(
      '--tunnel-port <port>',
      'also accept the page at this local port (an SSH tunnel that forwards another port number here)',
      parsePort,
    )
    .option(
      '--upload-max-age <hours>',
      'delete uploaded files this many hours after they arrive (they are also deleted when the server stops)',
      parseHours,
      DEFAULT_LIMITS.uploadMaxAgeMs / 3_600_000,
    )
    .option('--no-build', 'never build; serve out/renderer as it is')
    .option('--renderer-dir <dir>', 'serve a renderer built elsewhere (implies --no-build)')
    .exitOverride();
  try {
    program.parse(argv, { from: 'user' });
  } catch (error) {
    return error instanceof CommanderError ? error.exitCode : 2;
  }
  const options = program.opts<{
    port: number;
    host: string;
    dataDir: string;
    build: boolean;
    rendererDir?: string;
    tunnelPort?: number;
    uploadMaxAge: number;
  }>();
  if (options.host !== '127.0.0.1' && options.host !== 'localhost') {
    process.stderr.write(
      'LSTM Studio: browser mode binds 127.0.0.1 only; reach it from elsewhere through an SSH tunnel (see docs/browser-mode.md)\n',
    );
    return 2;
  }
  const rendererDir = options.rendererDir ? path.resolve(options.rendererDir) : RENDERER_OUT;
  if (!options.rendererDir && options.build && rendererIsStale()) await build();
  if (!existsSync(path.join(rendererDir, 'index.html'))) {
    process.stderr.write(
      `LSTM Studio: ${path.join(rendererDir, 'index.html')} is missing; run \`npm run build\` first\n`,
    );
    return 1;
  }
  const dataDir = path.resolve(options.dataDir);
  // Files the server and its engine (which inherits this) create: 0600, folders 0700.
  process.umask(0o077);
  const engine = new EngineHost({ launch: nodeEngineLauncher({ dataDir }) });
  // The engine loads TensorFlow (about a second) while the server starts; the URL is
  // printed as soon as the server listens, since a page's requests wait for the engine.
  const engineReady = engine.start();
  const server = await startServer({
    engine,
    rendererDir,
    dataDir,
    port: options.port,
    tunnelPort: options.tunnelPort,
    limits: { uploadMaxAgeMs: options.uploadMaxAge * 3_600_000 },
  });
  process.stdout.write(`${server.url}\n`);
  process.stderr.write(
    `LSTM Studio: serving on 127.0.0.1:${server.port}; data in ${dataDir}; uploads are deleted after ${options.uploadMaxAge} h and when the server stops. Ctrl+C stops (training checkpoints first).\n`,
  );
  // An engine that cannot start ends the command in one line, as before it printed the URL.
  await engineReady;

  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = () => {
      if (stopping) return;
      stopping = true;
      void Promise.allSettled([server.close(), engine.stop()]).then(() => resolve());
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`LSTM Studio: ${userMessage(error)}\n`);
    process.exit(1);
  },
);

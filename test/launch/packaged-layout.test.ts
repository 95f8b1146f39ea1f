/**
 * The packaged app's layout, rebuilt by hand (electron-builder cannot download Electron
 * here): the built app (out/main, package.json and its production packages) as
 * resources/app.asar, tfjs-node as resources/app.asar.unpacked (electron-builder.yml's
 * asarUnpack) reached from the archive the way Electron redirects unpacked files, LSTM
 * Studio's addons in resources/native, the sample corpus in resources/assets. Node cannot
 * read a real asar, so the archive is a folder of the same name.
 *
 * The engine (out/main/engine.js, the file the desktop app forks) is then started from the
 * copy with `process.resourcesPath` set as Electron sets it, in a mount namespace where the
 * project folder and the installed node_modules are hidden under empty folders: nothing can
 * come from the build machine's paths. It must announce ready, load tfjs-node and LSTM
 * Studio's kernels from the copy (checked in /proc/<pid>/maps), and train the seed preset on
 * the sample corpus; with kernels that cannot load, it must fall back and say why.
 *
 * Needs Linux and the right to create a mount namespace (`unshare -m`, as root here);
 * elsewhere it is skipped.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineEvent, WireMessage } from '../../src-main/protocol/messages';
import type { EngineInfo } from '../../src-main/protocol/types';
import { defaultRunConfig } from '../../src-main/protocol/run-config';
import { DEFAULT_CORPUS_OPTIONS } from '../../src-main/corpus';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const NODE_MODULES = realpathSync(path.join(ROOT, 'node_modules'));
const canIsolate =
  process.platform === 'linux' && spawnSync('unshare', ['-m', 'true']).status === 0;

/** Copies a tree as hard links when it can (the same disk), else as files. */
function copyTree(from: string, to: string): void {
  mkdirSync(path.dirname(to), { recursive: true });
  if (spawnSync('cp', ['-al', from, to]).status !== 0) cpSync(from, to, { recursive: true });
}

/** The production packages the app needs: package.json's dependencies, recursively. */
function productionPackages(): string[] {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
  };
  const seen = new Set<string>();
  const visit = (name: string): void => {
    if (seen.has(name) || !existsSync(path.join(NODE_MODULES, name, 'package.json'))) return;
    seen.add(name);
    const manifest = JSON.parse(
      readFileSync(path.join(NODE_MODULES, name, 'package.json'), 'utf8'),
    ) as { dependencies?: Record<string, string> };
    // Packages nested in a package's own node_modules travel with it.
    for (const dependency of Object.keys(manifest.dependencies ?? {})) {
      if (!existsSync(path.join(NODE_MODULES, name, 'node_modules', dependency))) visit(dependency);
    }
  };
  // The offline installer is left out of the archive (electron-builder.yml).
  for (const name of Object.keys(pkg.dependencies)) {
    if (name !== 'lstm-studio-native-backend') visit(name);
  }
  return [...seen];
}

/** Builds out/ with electron-vite when its engine entry is missing or older than the sources. */
function ensureAppBuilt(): void {
  const engine = path.join(ROOT, 'out', 'main', 'engine.js');
  const { newestSource } = createRequire(import.meta.url)(
    '../../src-main/launch/node-build.cjs',
  ) as { newestSource: () => number };
  if (existsSync(engine) && statSync(engine).mtimeMs >= newestSource()) return;
  const build = spawnSync(path.join(ROOT, 'node_modules', '.bin', 'electron-vite'), ['build'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (build.status !== 0) throw new Error(`electron-vite build failed: ${build.stderr}`);
}

/** The layout under `dir`; returns its resources folder. */
function layOut(dir: string, kernels: 'built' | 'broken'): string {
  const resources = path.join(dir, 'resources');
  const app = path.join(resources, 'app.asar');
  const unpacked = path.join(resources, 'app.asar.unpacked');
  copyTree(path.join(ROOT, 'out', 'main'), path.join(app, 'out', 'main'));
  cpSync(path.join(ROOT, 'package.json'), path.join(app, 'package.json'));
  for (const name of productionPackages()) {
    if (name === '@tensorflow/tfjs-node') {
      copyTree(path.join(NODE_MODULES, name), path.join(unpacked, 'node_modules', name));
      // Electron reads an unpacked file from app.asar.unpacked; a link does the same here.
      mkdirSync(path.join(app, 'node_modules', '@tensorflow'), { recursive: true });
      symlinkSync(path.join(unpacked, 'node_modules', name), path.join(app, 'node_modules', name));
    } else {
      copyTree(path.join(NODE_MODULES, name), path.join(app, 'node_modules', name));
    }
  }
  const native = path.join(resources, 'native');
  mkdirSync(native, { recursive: true });
  const built = path.join(ROOT, 'src-main', 'native', 'kernels', 'build', 'Release');
  cpSync(path.join(built, 'lstm_studio_stdio.node'), path.join(native, 'lstm_studio_stdio.node'));
  if (kernels === 'built') {
    cpSync(
      path.join(built, 'lstm_studio_kernels.node'),
      path.join(native, 'lstm_studio_kernels.node'),
    );
  } else {
    writeFileSync(path.join(native, 'lstm_studio_kernels.node'), 'not a shared library');
  }
  const corpus = path.join('assets', 'corpora', 'king-james-bible.zip');
  mkdirSync(path.dirname(path.join(resources, corpus)), { recursive: true });
  cpSync(path.join(ROOT, corpus), path.join(resources, corpus));
  writeFileSync(
    path.join(dir, 'resources-path.cjs'),
    `process.resourcesPath = ${JSON.stringify(resources)};\n`,
  );
  return resources;
}

interface Engine {
  child: ChildProcess;
  events: EngineEvent[];
  request(channel: string, payload: unknown): Promise<unknown>;
  next(type: EngineEvent['type']): Promise<EngineEvent>;
}

/** Starts the copied engine with the project folder and node_modules hidden. */
function startEngine(dir: string, resources: string): Engine {
  // node_modules inside the project (a plain checkout) is hidden with it: once the project
  // folder is covered, that path no longer exists to mount over.
  const folders = NODE_MODULES.startsWith(ROOT + path.sep) ? [ROOT] : [ROOT, NODE_MODULES];
  const hide = folders.map((folder) => `mount -t tmpfs none '${folder}'`).join(' && ');
  const child = spawn(
    'unshare',
    [
      '-m',
      'sh',
      '-c',
      `${hide} && exec "$0" "$@"`,
      process.execPath,
      // Modules under the link keep their app.asar path, as Electron keeps it for unpacked files.
      '--preserve-symlinks',
      '--require',
      path.join(dir, 'resources-path.cjs'),
      path.join(resources, 'app.asar', 'out', 'main', 'engine.js'),
      '--data-dir',
      path.join(dir, 'data'),
    ],
    { cwd: dir, stdio: ['ignore', 'inherit', 'pipe', 'ipc'], env: { ...process.env } },
  );
  const events: EngineEvent[] = [];
  const waiting = new Map<number, (message: WireMessage) => void>();
  const watchers: Array<() => void> = [];
  child.on('message', (message: WireMessage) => {
    if (message.kind === 'event') {
      events.push(message.event);
      for (const watcher of watchers.splice(0)) watcher();
    } else if (message.kind === 'reply') {
      waiting.get(message.id)?.(message);
    }
  });
  let nextId = 1;
  return {
    child,
    events,
    request: (channel, payload) =>
      new Promise((resolve, reject) => {
        const id = nextId++;
        waiting.set(id, (reply) => {
          if (reply.kind === 'reply' && reply.ok) resolve(reply.payload);
          else reject(new Error(JSON.stringify(reply)));
        });
        child.send({ kind: 'command', id, channel, payload });
      }),
    next: (type) =>
      new Promise((resolve, reject) => {
        child.once('exit', (code) => reject(new Error(`the engine exited (${code})`)));
        const look = (): void => {
          const found = events.find((event) => event.type === type);
          if (found) resolve(found);
          else watchers.push(look);
        };
        look();
      }),
  };
}

/** Files the engine process has mapped (shared libraries and addons). */
function mappedFiles(pid: number): string[] {
  return readFileSync(`/proc/${pid}/maps`, 'utf8')
    .split('\n')
    .map((line) => line.split(/\s+/).slice(5).join(' '))
    .filter((file) => file.startsWith('/'));
}

describe.skipIf(!canIsolate)('the packaged layout, with the source tree out of reach', () => {
  let dir: string;
  beforeAll(() => {
    ensureAppBuilt();
    dir = mkdtempSync(path.join(os.tmpdir(), 'packaged-layout-'));
  }, 600_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('starts the engine, loads tfjs-node and LSTM Studio kernels from the copy, and trains the seed preset', async () => {
    const home = path.join(dir, 'good');
    const resources = layOut(home, 'built');
    const engine = startEngine(home, resources);
    try {
      const status = await engine.next('engine:status');
      expect(status).toEqual({ type: 'engine:status', status: 'ready' });
      const info = (await engine.request('engine:info', {})) as EngineInfo;
      expect(info.backend).toBe('tensorflow');
      expect(info.lstmKernels).toMatch(/^LSTM Studio kernels \(/);

      const mapped = mappedFiles(engine.child.pid!);
      const unpacked = path.join(resources, 'app.asar.unpacked', 'node_modules');
      expect(mapped).toContain(
        path.join(unpacked, '@tensorflow', 'tfjs-node', 'lib', 'napi-v8', 'tfjs_binding.node'),
      );
      expect(mapped).toContain(
        path.join(
          unpacked,
          '@tensorflow',
          'tfjs-node',
          'deps',
          'lib',
          'libtensorflow_framework.so.2',
        ),
      );
      expect(mapped).toContain(path.join(resources, 'native', 'lstm_studio_kernels.node'));
      expect(
        mapped.filter((file) => file.startsWith(ROOT) || file.startsWith(NODE_MODULES)),
      ).toEqual([]);

      const corpus = (await engine.request('corpus:openSample', {
        options: DEFAULT_CORPUS_OPTIONS,
      })) as { chars: number };
      expect(corpus.chars).toBeGreaterThan(1_000_000);
      const config = defaultRunConfig();
      config.training.steps = 20;
      config.training.summaryEvery = 10;
      config.training.sampleEvery = 20;
      await engine.request('training:start', { config, resume: false });
      const done = (await engine.next('training:done')) as Extract<
        EngineEvent,
        { type: 'training:done' }
      >;
      expect(done.step).toBe(20);
      const losses = engine.events.flatMap((event) =>
        event.type === 'training:progress' ? event.points.map((point) => point.loss) : [],
      );
      expect(losses.length).toBeGreaterThan(0);
      expect(losses.every((loss) => Number.isFinite(loss))).toBe(true);
    } finally {
      engine.child.kill('SIGKILL');
    }
  }, 600_000);

  it('falls back to TensorFlow kernels, and says why, when LSTM Studio kernels cannot load', async () => {
    const home = path.join(dir, 'broken');
    const resources = layOut(home, 'broken');
    const engine = startEngine(home, resources);
    try {
      expect(await engine.next('engine:status')).toEqual({
        type: 'engine:status',
        status: 'ready',
      });
      const info = (await engine.request('engine:info', {})) as EngineInfo;
      const addon = path.join(resources, 'native', 'lstm_studio_kernels.node');
      expect(info.lstmKernels.startsWith('TensorFlow BlockLSTM')).toBe(true);
      expect(
        info.kernelNotice?.startsWith(
          `training uses TensorFlow's BlockLSTM kernels (slower): LSTM Studio's kernels are off because ${addon} does not load (`,
        ),
      ).toBe(true);
    } finally {
      engine.child.kill('SIGKILL');
    }
  }, 600_000);
});

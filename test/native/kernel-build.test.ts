/**
 * The online install's path, as far as this machine can show it: LSTM Studio's kernels
 * built from a copy of their sources in a temporary project whose tfjs-node `deps/` folder
 * is shaped like the public libtensorflow C archive (only the C API headers; the libraries
 * under the archive's file names), then loaded in a fresh process against the real
 * TensorFlow. Also: no absolute path of the build machine in the built addon, and the
 * fallback (with its one-line notice) when the build finds no compiler.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const sources = join(root, 'src-main', 'native', 'kernels');
const realDeps = join(
  dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-node/package.json')),
  'deps',
);

/** The C API headers the public libtensorflow archives ship (and nothing else of TensorFlow). */
const ARCHIVE_HEADERS = [
  'tensorflow/c/c_api.h',
  'tensorflow/c/c_api_experimental.h',
  'tensorflow/c/c_api_macros.h',
  'tensorflow/c/tensor_interface.h',
  'tensorflow/c/tf_attrtype.h',
  'tensorflow/c/tf_buffer.h',
  'tensorflow/c/tf_datatype.h',
  'tensorflow/c/tf_file_statistics.h',
  'tensorflow/c/tf_status.h',
  'tensorflow/c/tf_tensor.h',
  'tensorflow/c/tf_tensor_helper.h',
  'tensorflow/c/tf_tstring.h',
  'tensorflow/c/eager/c_api.h',
  'tensorflow/c/eager/c_api_experimental.h',
  'tensorflow/c/eager/dlpack.h',
  'tensorflow/core/platform/ctstring.h',
  'tensorflow/core/platform/ctstring_internal.h',
];

const work = mkdtempSync(join(tmpdir(), 'lstm-kernel-build-'));
const project = join(work, 'project');
const kernels = join(project, 'src-main', 'native', 'kernels');
const deps = join(project, 'node_modules', '@tensorflow', 'tfjs-node', 'deps');
const release = join(kernels, 'build', 'Release');
const addon = join(release, 'lstm_studio_kernels.node');

/** Lays out the temporary project: the kernels' sources, and an archive-shaped deps folder. */
function layOut(): void {
  mkdirSync(kernels, { recursive: true });
  for (const file of readdirSync(sources))
    if (/\.(cc|c|h|gyp|cjs)$/.test(file)) copyFileSync(join(sources, file), join(kernels, file));
  mkdirSync(deps, { recursive: true });
  writeFileSync(
    join(dirname(deps), 'package.json'),
    JSON.stringify({ name: '@tensorflow/tfjs-node', version: '4.22.0' }),
  );
  for (const header of ARCHIVE_HEADERS) {
    const from = join(realDeps, 'include', header);
    if (!existsSync(from)) continue;
    mkdirSync(dirname(join(deps, 'include', header)), { recursive: true });
    copyFileSync(from, join(deps, 'include', header));
  }
  const lib = join(deps, 'lib');
  mkdirSync(lib, { recursive: true });
  // The archive's names: libtensorflow.so → .so.2 → .so.2.9.1, the same for the framework
  // (the files themselves are this machine's TensorFlow, linked, not copied: 850 MB).
  for (const [name, real] of [
    ['libtensorflow', 'libtensorflow.so.2.9.1'],
    ['libtensorflow_framework', 'libtensorflow_framework.so.2.9.1'],
  ]) {
    symlinkSync(join(realDeps, 'lib', real), join(lib, `${name}.so.2.9.1`));
    symlinkSync(`${name}.so.2.9.1`, join(lib, `${name}.so.2`));
    symlinkSync(`${name}.so.2`, join(lib, `${name}.so`));
  }
}

/** Runs the copied build.cjs from the project root (so node-gyp is found); returns its result. */
function build(env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [join(kernels, 'build.cjs')], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, npm_config_node_gyp: '', ...env },
    timeout: 600000,
  });
}

/** Which kernels a fresh engine process picks with LSTM_STUDIO_NATIVE_DIR = `dir`. */
function choiceIn(dir: string) {
  const script = `
    const { lstmKernelChoice } = await import('./src-main/engine/kernels/fused-lstm.ts');
    const { engineInfo } = await import('./src-main/engine/info.ts');
    const first = lstmKernelChoice();
    lstmKernelChoice();
    const info = engineInfo();
    console.log(JSON.stringify({ names: first.names, fallback: first.fallback, notice: info.kernelNotice ?? null }));
  `;
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', script],
    {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, LSTM_STUDIO_NATIVE_DIR: dir, LSTM_STUDIO_KERNELS: '' },
      timeout: 120000,
    },
  );
  expect(result.status, result.stderr).toBe(0);
  const notices = result.stderr.split('\n').filter((line) => line.startsWith('LSTM Studio:'));
  return { ...JSON.parse(result.stdout.trim().split('\n').at(-1) as string), notices };
}

beforeAll(layOut);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('building the kernels against a libtensorflow C archive layout', () => {
  it('the deps folder holds only C API headers and the archive’s library names', () => {
    expect(existsSync(join(deps, 'include', 'tensorflow', 'c', 'c_api.h'))).toBe(true);
    expect(existsSync(join(deps, 'include', 'tensorflow', 'c', 'kernels.h'))).toBe(false);
    expect(existsSync(join(deps, 'include', 'tensorflow', 'c', 'ops.h'))).toBe(false);
    expect(readdirSync(join(deps, 'lib')).sort()).toEqual([
      'libtensorflow.so',
      'libtensorflow.so.2',
      'libtensorflow.so.2.9.1',
      'libtensorflow_framework.so',
      'libtensorflow_framework.so.2',
      'libtensorflow_framework.so.2.9.1',
    ]);
  });

  it('without a C++ compiler: nothing built, the reason recorded, and a one-line fallback naming it', () => {
    const result = build({ CXX: join(work, 'no-such-compiler') });
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toBe(
      `LSTM Studio: the fast LSTM kernels did not build (no C++ compiler was found (CXX=${join(work, 'no-such-compiler')} on PATH))`,
    );
    const record = JSON.parse(
      readFileSync(join(kernels, 'build', 'lstm-studio-build.json'), 'utf8'),
    );
    expect(record).toMatchObject({ ok: false, kind: 'no-compiler' });
    const { names, fallback, notice, notices } = choiceIn(release);
    expect(names.source).toBe('tensorflow');
    expect(fallback.cause).toBe('no-compiler');
    expect(notices).toEqual([`LSTM Studio: ${notice}`]);
    expect(notice).toMatch(
      /^training uses TensorFlow's BlockLSTM kernels \(slower\): LSTM Studio's kernels are off because they were not built: no C\+\+ compiler was found .*; install a C\+\+ compiler .*, then run `node src-main\/native\/kernels\/build\.cjs`$/,
    );
  });

  it(
    'builds, with no TensorFlow library linked and no absolute build path in the addon',
    {
      timeout: 600_000,
    },
    () => {
      const result = build();
      expect(result.status, result.stderr).toBe(0);
      expect(existsSync(addon)).toBe(true);
      const dynamic = execFileSync('readelf', ['-d', addon], { encoding: 'utf8' });
      const needed = [...dynamic.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map(
        (m) => m[1],
      );
      expect(needed.length).toBeGreaterThan(0);
      expect(needed.filter((name) => /tensorflow/.test(name))).toEqual([]);
      // No search path at all, or only ones relative to the addon itself.
      const paths = [
        ...dynamic.matchAll(/\((?:RPATH|RUNPATH)\)\s+Library r(?:un)?path: \[([^\]]+)\]/g),
      ].flatMap((m) => m[1].split(':'));
      expect(paths.filter((p) => !p.startsWith('$ORIGIN'))).toEqual([]);
      // Nor anywhere else in the file: neither the project's nor the deps folder's path.
      const bytes = readFileSync(addon);
      for (const path of [project, deps, root.replace(/\/$/, '')])
        expect(bytes.includes(Buffer.from(path)), path).toBe(false);
    },
  );

  it('loads in a fresh process, finds the C kernel API and passes the self-check', () => {
    const { names, fallback, notice, notices } = choiceIn(release);
    expect(fallback).toBeNull();
    expect(notice).toBeNull();
    expect(notices).toEqual([]);
    expect(names.source).toBe('lstm-studio');
    expect(names.description).toMatch(
      /^LSTM Studio kernels \((avx512|avx2|baseline); C kernel API from libtensorflow\S*\)$/,
    );
  });
});

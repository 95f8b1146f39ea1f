import { execFileSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  writeFileSync,
  existsSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { arch, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeZip } from '../helpers/zip';

const require = createRequire(import.meta.url);
const installer = require('../../src-main/native/installer/libtensorflow.cjs') as {
  stageLibtensorflow(source: string, tfjsDir: string): Promise<Record<string, string>>;
  newestWheel(folders: string[]): string | null;
  wantedWheelPath(name: string): string | null;
};

const wheelArch = arch() === 'arm64' ? 'aarch64' : 'x86_64';
let work: string;
let tfjsDir: string;

beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'lstm-native-'));
  tfjsDir = join(work, 'tfjs-node');
  mkdirSync(tfjsDir);
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

/** The parts of a real TensorFlow wheel that matter here, and two that must be left out. */
function fakeWheel(file: string): void {
  writeFileSync(
    file,
    makeZip([
      { name: 'tensorflow/libtensorflow_cc.so.2', data: 'cc-library' },
      { name: 'tensorflow/libtensorflow_framework.so.2', data: 'framework-library' },
      { name: 'tensorflow/include/tensorflow/c/c_api.h', data: '// c api' },
      { name: 'tensorflow/include/tensorflow/c/eager/c_api.h', data: '// eager', deflate: false },
      { name: 'tensorflow/include/xla/tsl/x.h', data: '// xla' },
      { name: 'tensorflow/include/tsl/platform/t.h', data: '// tsl' },
      { name: 'tensorflow/include/absl/base/a.h', data: '// not needed' },
      { name: 'tensorflow/python/__init__.py', data: '# not needed' },
      { name: 'tensorflow/include/../../escape.h', data: 'never written' },
    ]),
  );
}

function expectStagedLayout(mainLibrary: string): void {
  const lib = join(tfjsDir, 'deps', 'lib');
  expect(readFileSync(join(lib, mainLibrary), 'utf8')).toBe('cc-library');
  for (const alias of ['libtensorflow.so', 'libtensorflow.so.2.9.1']) {
    expect(readlinkSync(join(lib, alias))).toBe(mainLibrary);
    expect(readFileSync(join(lib, alias), 'utf8')).toBe('cc-library');
  }
  for (const alias of ['libtensorflow_framework.so', 'libtensorflow_framework.so.2.9.1']) {
    expect(readlinkSync(join(lib, alias))).toBe('libtensorflow_framework.so.2');
  }
  const include = join(tfjsDir, 'deps', 'include');
  expect(readdirSync(include).sort()).toEqual(['tensorflow', 'tsl', 'xla']);
  expect(readFileSync(join(include, 'tensorflow', 'c', 'c_api.h'), 'utf8')).toBe('// c api');
  expect(readFileSync(join(include, 'tensorflow', 'c', 'eager', 'c_api.h'), 'utf8')).toBe(
    '// eager',
  );
}

describe('staging a local TensorFlow for tfjs-node', () => {
  it('stages a wheel: the two libraries under their expected names, three header trees, nothing else', async () => {
    const wheel = join(work, `tensorflow_cpu-2.21.0-cp311-cp311-manylinux_2_27_${wheelArch}.whl`);
    fakeWheel(wheel);
    const record = await installer.stageLibtensorflow(wheel, tfjsDir);
    expectStagedLayout('libtensorflow_cc.so.2');
    expect(readlinkSync(join(tfjsDir, 'deps', 'lib', 'libtensorflow.so.2'))).toBe(
      'libtensorflow_cc.so.2',
    );
    expect(existsSync(join(tfjsDir, 'deps', 'include', 'absl'))).toBe(false);
    expect(existsSync(join(work, 'escape.h'))).toBe(false);
    expect(record).toMatchObject({ source: wheel, kind: 'wheel', tensorflowVersion: '2.21.0' });
    const saved = JSON.parse(
      readFileSync(join(tfjsDir, 'deps', 'lstm-studio-source.json'), 'utf8'),
    );
    expect(saved).toMatchObject({ source: wheel, kind: 'wheel', tensorflowVersion: '2.21.0' });
  });

  it('stages an unpacked tensorflow folder (an installed Python package)', async () => {
    const folder = join(work, 'site-packages', 'tensorflow');
    mkdirSync(join(folder, 'include', 'tensorflow', 'c', 'eager'), { recursive: true });
    mkdirSync(join(folder, 'include', 'xla'), { recursive: true });
    mkdirSync(join(folder, 'include', 'tsl'), { recursive: true });
    writeFileSync(join(folder, 'libtensorflow_cc.so.2'), 'cc-library');
    writeFileSync(join(folder, 'libtensorflow_framework.so.2'), 'framework-library');
    writeFileSync(join(folder, 'include', 'tensorflow', 'c', 'c_api.h'), '// c api');
    writeFileSync(join(folder, 'include', 'tensorflow', 'c', 'eager', 'c_api.h'), '// eager');
    const record = await installer.stageLibtensorflow(folder, tfjsDir);
    expectStagedLayout('libtensorflow_cc.so.2');
    expect(record.kind).toBe('folder');
    // The source folder is copied from, never moved.
    expect(readFileSync(join(folder, 'libtensorflow_cc.so.2'), 'utf8')).toBe('cc-library');
  });

  it('stages a libtensorflow C tarball, keeping its own SONAME', async () => {
    const root = join(work, 'tarball');
    mkdirSync(join(root, 'lib'), { recursive: true });
    mkdirSync(join(root, 'include', 'tensorflow', 'c', 'eager'), { recursive: true });
    writeFileSync(join(root, 'lib', 'libtensorflow.so.2'), 'cc-library');
    writeFileSync(join(root, 'lib', 'libtensorflow_framework.so.2'), 'framework-library');
    writeFileSync(join(root, 'include', 'tensorflow', 'c', 'c_api.h'), '// c api');
    writeFileSync(join(root, 'include', 'tensorflow', 'c', 'eager', 'c_api.h'), '// eager');
    mkdirSync(join(root, 'include', 'xla'));
    mkdirSync(join(root, 'include', 'tsl'));
    const tarball = join(work, 'libtensorflow-cpu-linux-x86_64-2.15.0.tar.gz');
    execFileSync('tar', ['-czf', tarball, '-C', root, 'lib', 'include']);
    const record = await installer.stageLibtensorflow(tarball, tfjsDir);
    expectStagedLayout('libtensorflow.so.2');
    expect(record).toMatchObject({ kind: 'tar.gz', tensorflowVersion: '2.15.0' });
  });

  it('says what is wrong with a source it cannot use, and leaves deps/ alone', async () => {
    mkdirSync(join(tfjsDir, 'deps'));
    writeFileSync(join(tfjsDir, 'deps', 'keep.txt'), 'old');
    await expect(installer.stageLibtensorflow(join(work, 'missing.whl'), tfjsDir)).rejects.toThrow(
      /LSTM_STUDIO_LIBTENSORFLOW points to .*missing\.whl, which does not exist/,
    );
    const empty = join(work, 'tensorflow_cpu-2.21.0-cp311-cp311-manylinux_2_27_x86_64.whl');
    writeFileSync(empty, makeZip([{ name: 'tensorflow/__init__.py', data: '' }]));
    await expect(installer.stageLibtensorflow(empty, tfjsDir)).rejects.toThrow(
      /holds no libtensorflow_cc\.so\.2 or libtensorflow\.so\.2/,
    );
    const notZip = join(work, 'broken.whl');
    writeFileSync(notZip, 'this is not a zip file at all');
    await expect(installer.stageLibtensorflow(notZip, tfjsDir)).rejects.toThrow(
      /not a readable zip file/,
    );
    const other = join(work, 'tensorflow.rpm');
    writeFileSync(other, 'x');
    await expect(installer.stageLibtensorflow(other, tfjsDir)).rejects.toThrow(/neither a wheel/);
    expect(readFileSync(join(tfjsDir, 'deps', 'keep.txt'), 'utf8')).toBe('old');
  });
});

describe('finding a local wheel', () => {
  it('picks the newest wheel for this platform, searching sub-folders', () => {
    const a = join(work, 'a');
    const b = join(work, 'b', 'files');
    mkdirSync(a, { recursive: true });
    mkdirSync(b, { recursive: true });
    const older = join(a, `tensorflow_cpu-2.15.1-cp311-cp311-manylinux_2_17_${wheelArch}.whl`);
    const newer = join(b, `tensorflow_cpu-2.21.0-cp311-cp311-manylinux_2_27_${wheelArch}.whl`);
    const wrongPlatform = join(a, 'tensorflow_cpu-2.99.0-cp311-cp311-win_amd64.whl');
    const notTensorflow = join(a, `tensorboard-2.99.0-py3-none-manylinux_2_27_${wheelArch}.whl`);
    for (const file of [older, newer, wrongPlatform, notTensorflow]) writeFileSync(file, '');
    expect(installer.newestWheel([a, join(work, 'b'), join(work, 'nowhere')])).toBe(newer);
    expect(installer.newestWheel([a])).toBe(older);
    expect(installer.newestWheel([join(work, 'nowhere')])).toBeNull();
  });

  it('extracts only libraries and the three header trees from a wheel', () => {
    expect(installer.wantedWheelPath('tensorflow/libtensorflow_cc.so.2')).toBe(
      'libtensorflow_cc.so.2',
    );
    expect(installer.wantedWheelPath('tensorflow/include/xla/a.h')).toBe('include/xla/a.h');
    expect(installer.wantedWheelPath('tensorflow/include/absl/a.h')).toBeNull();
    expect(installer.wantedWheelPath('tensorflow/include/tsl/')).toBeNull();
    expect(installer.wantedWheelPath('tensorflow/python/x.so')).toBeNull();
  });
});

// Where @tensorflow/tfjs-node gets its libtensorflow from, and how to give it a local one.
//
// Online, tfjs-node's install script downloads libtensorflow and we do nothing. Offline
// (air-gapped machines, CI here) that download fails and would fail the whole
// `npm install`, so before tfjs-node's script runs we stage a local TensorFlow — a CPU
// wheel, a libtensorflow .tar.gz or an unpacked folder — into its deps/ folder under
// the names its script and binding.gyp expect. Its script then skips the download and
// builds the binding from source. Plain CommonJS on purpose: this runs during
// `npm install`, before any TypeScript tooling can.
'use strict';

const fs = require('node:fs');
const fsp = require('node:fs/promises');
const os = require('node:os');
const path = require('node:path');
const zlib = require('node:zlib');
const https = require('node:https');
const { spawnSync } = require('node:child_process');
const { pipeline } = require('node:stream/promises');

/**
 * The project folder: the nearest folder above this file whose node_modules holds
 * tfjs-node. This file runs both from src-main/native/installer/ (postinstall, doctor)
 * and from node_modules/lstm-studio-native-backend/ (preinstall, as an installed copy).
 */
function findProjectRoot() {
  let dir = __dirname;
  for (;;) {
    const parent = path.dirname(dir);
    if (fs.existsSync(path.join(dir, 'node_modules', '@tensorflow', 'tfjs-node', 'package.json'))) {
      return dir;
    }
    if (parent === dir) return path.resolve(__dirname, '..', '..', '..');
    dir = parent;
  }
}
const PROJECT_ROOT = findProjectRoot();
const ENV_VARIABLE = 'LSTM_STUDIO_LIBTENSORFLOW';
/** The libtensorflow version tfjs-node 4.x is written against; its file names carry it. */
const TFJS_LIBTENSORFLOW_VERSION = '2.9.1';
/** Header trees the binding's includes reach (measured: tensorflow/c pulls in xla and tsl). */
const HEADER_TREES = ['tensorflow', 'xla', 'tsl'];
const SOURCE_RECORD = 'lstm-studio-source.json';

class InstallError extends Error {}

function say(message) {
  console.log(`LSTM Studio: ${message}`);
}

function tfjsNodeDir() {
  return path.join(PROJECT_ROOT, 'node_modules', '@tensorflow', 'tfjs-node');
}

function depsLibFile(tfjsDir) {
  return path.join(tfjsDir, 'deps', 'lib', `libtensorflow.so.${TFJS_LIBTENSORFLOW_VERSION}`);
}

function whatToDo() {
  return (
    `set ${ENV_VARIABLE} to a TensorFlow CPU wheel (tensorflow_cpu-*.whl for this platform), ` +
    `a libtensorflow .tar.gz, or an unpacked TensorFlow folder, then run npm install again ` +
    `(see docs/offline-install.md)`
  );
}

// ---------------------------------------------------------------------------------------
// Is the download host reachable? We ask tfjs-node's own metadata for the host so this
// file names none, and treat any HTTP answer as "online".

function downloadOrigin(tfjsDir) {
  const override = process.env.TFJS_NODE_BASE_URI || process.env.TFJS_NODE_CDN_STORAGE;
  if (override) return new URL(override).origin;
  const manifest = JSON.parse(fs.readFileSync(path.join(tfjsDir, 'package.json'), 'utf8'));
  return new URL(manifest.binary.host).origin;
}

function isReachable(origin, timeoutMs = 5000) {
  if (!origin.startsWith('https:')) return Promise.resolve(true);
  return new Promise((resolve) => {
    const request = https.request(origin, { method: 'HEAD', timeout: timeoutMs }, (response) => {
      response.resume();
      resolve(true);
    });
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', () => resolve(false));
    request.end();
  });
}

// ---------------------------------------------------------------------------------------
// Finding a local TensorFlow.

const WHEEL_NAME = /^tensorflow(?:_cpu|-cpu)?-(\d+\.\d+\.\d+)[^/]*\.whl$/i;

function platformWheelTag() {
  const arch = os.arch() === 'arm64' ? 'aarch64' : 'x86_64';
  return new RegExp(`manylinux[^-]*_${arch}\\.whl$`, 'i');
}

function compareVersions(a, b) {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return pa[i] - pb[i];
  return 0;
}

function listWheels(dir, depth) {
  const found = [];
  let entries;
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return found;
  }
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isFile() && WHEEL_NAME.test(entry.name) && platformWheelTag().test(entry.name)) {
      found.push(full);
    } else if (entry.isDirectory() && depth > 0) {
      found.push(...listWheels(full, depth - 1));
    }
  }
  return found;
}

/** Folders pip is configured to install from (find-links, file:// indexes), if pip exists. */
function pipLocalFolders() {
  const folders = [];
  const fromValue = (value) => {
    for (const part of value.split(/\s+/)) {
      const cleaned = part.replace(/^'|'$/g, '');
      if (cleaned.startsWith('file://')) {
        const local = new URL(cleaned).pathname;
        folders.push(local, path.dirname(local));
      } else if (cleaned.startsWith('/')) {
        folders.push(cleaned);
      }
    }
  };
  for (const name of ['PIP_FIND_LINKS', 'PIP_INDEX_URL', 'PIP_EXTRA_INDEX_URL']) {
    if (process.env[name]) fromValue(process.env[name]);
  }
  for (const pip of ['pip3', 'pip']) {
    const result = spawnSync(pip, ['config', 'list'], { encoding: 'utf8', timeout: 10000 });
    if (result.status !== 0 || !result.stdout) continue;
    for (const line of result.stdout.split('\n')) {
      const match = /(?:find-links|index-url|extra-index-url)\s*=\s*(.*)$/.exec(line);
      if (match) fromValue(match[1]);
    }
    break;
  }
  return folders;
}

/** An installed Python TensorFlow package folder (site-packages/tensorflow), if any. */
function installedTensorflowFolder() {
  const result = spawnSync(
    'python3',
    [
      '-c',
      'import importlib.util as u; s = u.find_spec("tensorflow"); print(s.submodule_search_locations[0] if s else "")',
    ],
    { encoding: 'utf8', timeout: 20000 },
  );
  const folder = result.status === 0 ? result.stdout.trim() : '';
  return folder && fs.existsSync(path.join(folder, 'libtensorflow_cc.so.2')) ? folder : null;
}

/**
 * The usual places a TensorFlow wheel lies on a machine without internet: pip's local
 * indexes and find-links folders, the user's Downloads, a wheels folder beside the
 * project, and an installed Python TensorFlow. Newest version first.
 */
function discoverLocalSource() {
  if (os.platform() !== 'linux') return null;
  const folders = [
    ...pipLocalFolders(),
    path.join(os.homedir(), 'Downloads'),
    path.join(os.homedir(), 'wheels'),
    path.join(PROJECT_ROOT, '..', 'wheels'),
  ];
  return newestWheel(folders) || installedTensorflowFolder();
}

/** The newest TensorFlow wheel for this platform within `folders` (three levels deep). */
function newestWheel(folders) {
  const wheels = [...new Set(folders)].flatMap((folder) => listWheels(folder, 3));
  wheels.sort((a, b) =>
    compareVersions(WHEEL_NAME.exec(path.basename(b))[1], WHEEL_NAME.exec(path.basename(a))[1]),
  );
  return wheels[0] || null;
}

// ---------------------------------------------------------------------------------------
// Reading a wheel: a zip. Only the two libraries and three header trees are extracted,
// streamed through inflate so a 270 MB wheel never sits in memory.

function readCentralDirectory(fd, fileSize) {
  const tailSize = Math.min(fileSize, 65557);
  const tail = Buffer.alloc(tailSize);
  fs.readSync(fd, tail, 0, tailSize, fileSize - tailSize);
  let eocd = -1;
  for (let i = tailSize - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new InstallError('the TensorFlow wheel is not a readable zip file');
  const count = tail.readUInt16LE(eocd + 10);
  const size = tail.readUInt32LE(eocd + 12);
  const offset = tail.readUInt32LE(eocd + 16);
  if (count === 0xffff || offset === 0xffffffff) {
    throw new InstallError(
      'the TensorFlow wheel uses ZIP64 directories, which this installer does not read; unpack it and point to the folder',
    );
  }
  const directory = Buffer.alloc(size);
  fs.readSync(fd, directory, 0, size, offset);
  const entries = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (directory.readUInt32LE(at) !== 0x02014b50) {
      throw new InstallError('the TensorFlow wheel has a corrupt central directory');
    }
    const method = directory.readUInt16LE(at + 10);
    const compressedSize = directory.readUInt32LE(at + 20);
    const nameLength = directory.readUInt16LE(at + 28);
    const extraLength = directory.readUInt16LE(at + 30);
    const commentLength = directory.readUInt16LE(at + 32);
    const externalAttributes = directory.readUInt32LE(at + 38);
    const localOffset = directory.readUInt32LE(at + 42);
    const name = directory.toString('utf8', at + 46, at + 46 + nameLength);
    entries.push({ name, method, compressedSize, localOffset, mode: externalAttributes >>> 16 });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

async function extractEntry(fd, file, entry, destination) {
  const header = Buffer.alloc(30);
  fs.readSync(fd, header, 0, 30, entry.localOffset);
  const dataStart = entry.localOffset + 30 + header.readUInt16LE(26) + header.readUInt16LE(28);
  await fsp.mkdir(path.dirname(destination), { recursive: true });
  const source = fs.createReadStream(file, {
    start: dataStart,
    end: Math.max(dataStart, dataStart + entry.compressedSize - 1),
  });
  const sink = fs.createWriteStream(destination);
  if (entry.compressedSize === 0) {
    source.destroy();
    await new Promise((resolve, reject) =>
      sink.end((error) => (error ? reject(error) : resolve())),
    );
  } else if (entry.method === 8) {
    await pipeline(source, zlib.createInflateRaw(), sink);
  } else if (entry.method === 0) {
    await pipeline(source, sink);
  } else {
    throw new InstallError(`the TensorFlow wheel entry ${entry.name} uses an unknown compression`);
  }
}

/** A wheel's library and header paths inside, relative to its `tensorflow/` folder. */
function wantedWheelPath(name) {
  if (!name.startsWith('tensorflow/') || name.endsWith('/')) return null;
  const inner = name.slice('tensorflow/'.length);
  if (inner === 'libtensorflow_cc.so.2' || inner === 'libtensorflow_framework.so.2') return inner;
  const tree = inner.split('/')[1];
  if (inner.startsWith('include/') && HEADER_TREES.includes(tree)) return inner;
  return null;
}

async function unpackWheel(wheel, into) {
  const fd = fs.openSync(wheel, 'r');
  try {
    const entries = readCentralDirectory(fd, fs.fstatSync(fd).size);
    for (const entry of entries) {
      const inner = wantedWheelPath(entry.name);
      if (inner === null || inner.split('/').includes('..')) continue;
      await extractEntry(fd, wheel, entry, path.join(into, inner));
    }
  } finally {
    fs.closeSync(fd);
  }
}

// ---------------------------------------------------------------------------------------
// Staging into tfjs-node's deps/ folder.

async function replaceWithLink(target, linkPath) {
  await fsp.rm(linkPath, { force: true });
  await fsp.symlink(target, linkPath);
}

/** Copies a folder tree (regular files and folders only). */
async function copyTree(from, to) {
  await fsp.cp(from, to, { recursive: true, dereference: true, force: true });
}

function versionFromName(source) {
  const match = /(\d+\.\d+\.\d+)/.exec(path.basename(source));
  return match ? match[1] : 'unknown';
}

/**
 * Lays out deps/lib and deps/include of tfjs-node from a local TensorFlow. The real
 * library keeps its SONAME (libtensorflow_cc.so.2 for wheels, libtensorflow.so.2 for the
 * C tarball) because that is what the built binding will ask the loader for; the names
 * tfjs-node's script and binding.gyp look for are links to it.
 */
async function stageLibtensorflow(source, tfjsDir) {
  const resolved = path.resolve(source);
  if (!fs.existsSync(resolved)) {
    throw new InstallError(`${ENV_VARIABLE} points to ${resolved}, which does not exist`);
  }
  const deps = path.join(tfjsDir, 'deps');
  const work = await fsp.mkdtemp(path.join(os.tmpdir(), 'lstm-studio-tf-'));
  try {
    let folder; // holds lib files and include/ at top level
    let mainLibrary;
    const stat = fs.statSync(resolved);
    if (stat.isDirectory()) {
      folder = resolved;
    } else if (/\.(whl|zip)$/i.test(resolved)) {
      say(`unpacking TensorFlow from ${resolved} (a minute or so)…`);
      await unpackWheel(resolved, work);
      folder = work;
    } else if (/\.(tar\.gz|tgz)$/i.test(resolved)) {
      say(`unpacking libtensorflow from ${resolved}…`);
      const result = spawnSync('tar', ['-xzf', resolved, '-C', work], { stdio: 'inherit' });
      if (result.status !== 0) throw new InstallError(`could not unpack ${resolved} with tar`);
      folder = work;
    } else {
      throw new InstallError(
        `${resolved} is neither a wheel (.whl), a .tar.gz nor a folder; ${whatToDo()}`,
      );
    }
    const libFolder = fs.existsSync(path.join(folder, 'lib')) ? path.join(folder, 'lib') : folder;
    if (fs.existsSync(path.join(libFolder, 'libtensorflow_cc.so.2'))) {
      mainLibrary = 'libtensorflow_cc.so.2';
    } else if (fs.existsSync(path.join(libFolder, 'libtensorflow.so.2'))) {
      mainLibrary = 'libtensorflow.so.2';
    } else {
      throw new InstallError(
        `${resolved} holds no libtensorflow_cc.so.2 or libtensorflow.so.2 for this platform`,
      );
    }
    if (!fs.existsSync(path.join(folder, 'include', 'tensorflow', 'c', 'c_api.h'))) {
      throw new InstallError(`${resolved} holds no TensorFlow C headers (include/tensorflow/c)`);
    }

    await fsp.rm(deps, { recursive: true, force: true });
    const lib = path.join(deps, 'lib');
    const include = path.join(deps, 'include');
    await fsp.mkdir(lib, { recursive: true });
    await fsp.mkdir(include, { recursive: true });
    for (const tree of HEADER_TREES) {
      const from = path.join(folder, 'include', tree);
      if (fs.existsSync(from)) await copyTree(from, path.join(include, tree));
    }
    // Move rather than copy out of our own temporary folder: the library is ~800 MB.
    const place = async (name) => {
      const from = path.join(libFolder, name);
      const to = path.join(lib, name);
      if (folder === work) await fsp.rename(from, to).catch(() => fsp.copyFile(from, to));
      else await fsp.copyFile(from, to);
    };
    await place(mainLibrary);
    await place('libtensorflow_framework.so.2');
    const v = TFJS_LIBTENSORFLOW_VERSION;
    for (const alias of ['libtensorflow.so', `libtensorflow.so.${v}`, 'libtensorflow.so.2']) {
      if (alias !== mainLibrary) await replaceWithLink(mainLibrary, path.join(lib, alias));
    }
    for (const alias of ['libtensorflow_framework.so', `libtensorflow_framework.so.${v}`]) {
      await replaceWithLink('libtensorflow_framework.so.2', path.join(lib, alias));
    }
    const record = {
      source: resolved,
      kind: stat.isDirectory() ? 'folder' : /\.(whl|zip)$/i.test(resolved) ? 'wheel' : 'tar.gz',
      tensorflowVersion: versionFromName(resolved),
      stagedAt: new Date().toISOString(),
    };
    await fsp.writeFile(path.join(deps, SOURCE_RECORD), JSON.stringify(record, null, 2) + '\n');
    say(`staged TensorFlow ${record.tensorflowVersion} from ${resolved}`);
    return record;
  } finally {
    await fsp.rm(work, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------
// The two install-time entry points.

/**
 * Before tfjs-node's install script: decide whether it can download, and if it cannot,
 * stage a local TensorFlow so that it does not need to. Returns the exit code.
 */
async function prepareBeforeTfjsInstall() {
  const tfjsDir = tfjsNodeDir();
  if (!fs.existsSync(path.join(tfjsDir, 'package.json'))) return 0; // not being installed
  const named = process.env[ENV_VARIABLE];
  if (named) {
    await stageLibtensorflow(named, tfjsDir);
    return 0;
  }
  if (fs.existsSync(depsLibFile(tfjsDir))) return 0; // already has a library
  if (await isReachable(downloadOrigin(tfjsDir))) return 0; // tfjs-node downloads it
  const found = discoverLocalSource();
  if (!found) {
    console.error(
      `LSTM Studio: TensorFlow cannot be downloaded here (no network) and no local TensorFlow was found; ${whatToDo()}.`,
    );
    return 1;
  }
  say(`no network for TensorFlow's download; using the local ${found}`);
  await stageLibtensorflow(found, tfjsDir);
  return 0;
}

/** Loads the binding in a child process; returns null when it works, else the reason. */
function bindingProblem() {
  const result = spawnSync(
    process.execPath,
    [
      '-e',
      "require('@tensorflow/tfjs-node'); console.log(require('@tensorflow/tfjs-node').getBackend())",
    ],
    { cwd: PROJECT_ROOT, encoding: 'utf8', timeout: 120000 },
  );
  if (result.status === 0 && result.stdout.trim().endsWith('tensorflow')) return null;
  const lines = `${result.stderr || ''}`.split('\n').filter((line) => /Error|error:/.test(line));
  return lines[0] ? lines[0].trim() : `exit code ${result.status}`;
}

function buildBinding(tfjsDir) {
  const bin = path.join(PROJECT_ROOT, 'node_modules', '.bin');
  const result = spawnSync(process.execPath, [path.join('scripts', 'install.js')], {
    cwd: tfjsDir,
    stdio: 'inherit',
    env: { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH}` },
  });
  return result.status === 0;
}

/**
 * After everything is installed: the binding must load. If it does not (a failed or
 * skipped build, a library that moved), build it again from a local TensorFlow.
 */
async function ensureBindingAfterInstall() {
  const tfjsDir = tfjsNodeDir();
  let problem = bindingProblem();
  if (problem === null) {
    say('native TensorFlow backend ready');
    return 0;
  }
  say(`the TensorFlow binding does not load (${problem}); building it from a local TensorFlow`);
  const source =
    process.env[ENV_VARIABLE] ||
    (fs.existsSync(depsLibFile(tfjsDir)) ? null : discoverLocalSource());
  if (source) await stageLibtensorflow(source, tfjsDir);
  if (!fs.existsSync(depsLibFile(tfjsDir))) {
    console.error(`LSTM Studio: no TensorFlow library to build against; ${whatToDo()}.`);
    return 1;
  }
  if (!buildBinding(tfjsDir) || (problem = bindingProblem()) !== null) {
    console.error(
      `LSTM Studio: the TensorFlow binding still does not load (${problem}); ${whatToDo()}.`,
    );
    return 1;
  }
  say('native TensorFlow backend built and ready');
  return 0;
}

/** What doctor reports about the library's origin. */
function libraryOrigin() {
  const tfjsDir = tfjsNodeDir();
  const recordPath = path.join(tfjsDir, 'deps', SOURCE_RECORD);
  if (fs.existsSync(recordPath)) return JSON.parse(fs.readFileSync(recordPath, 'utf8'));
  if (fs.existsSync(depsLibFile(tfjsDir))) {
    return {
      source: 'downloaded by @tensorflow/tfjs-node',
      kind: 'download',
      tensorflowVersion: TFJS_LIBTENSORFLOW_VERSION,
    };
  }
  return null;
}

module.exports = {
  ENV_VARIABLE,
  InstallError,
  discoverLocalSource,
  ensureBindingAfterInstall,
  libraryOrigin,
  newestWheel,
  prepareBeforeTfjsInstall,
  stageLibtensorflow,
  wantedWheelPath,
};

// Staging: lays a local TensorFlow (a wheel, a libtensorflow .tar.gz or an unpacked folder)
// out in tfjs-node's deps/ folder under the names its install script and binding.gyp
// expect. A wheel is read as a zip here (this runs before any dependency is installed, so
// it cannot use one): only the two libraries and three header trees are inflated, streamed.
'use strict';

const fs = require('node:fs');
const fsp = require('node:fs/promises');
const os = require('node:os');
const path = require('node:path');
const zlib = require('node:zlib');
const { spawnSync } = require('node:child_process');
const { pipeline } = require('node:stream/promises');
const {
  ENV_VARIABLE,
  HEADER_TREES,
  InstallError,
  SOURCE_RECORD,
  TFJS_LIBTENSORFLOW_VERSION,
  say,
  whatToDo,
} = require('./common.cjs');

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

module.exports = { stageLibtensorflow, wantedWheelPath };

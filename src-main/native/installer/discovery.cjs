// Discovery: can tfjs-node download libtensorflow here, and if not, where on this machine
// does a TensorFlow lie (a CPU wheel in pip's local folders, ~/Downloads, ~/wheels, a
// wheels folder beside the project, or an installed Python TensorFlow)?
'use strict';

const fs = require('node:fs');
const https = require('node:https');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { PROJECT_ROOT } = require('./common.cjs');

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

module.exports = { discoverLocalSource, downloadOrigin, isReachable, newestWheel };

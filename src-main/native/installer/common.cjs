// What every part of the install-time TensorFlow helper shares: the project folder, the
// names and versions tfjs-node expects, the error type and the one-line messages.
// Plain CommonJS on purpose: this runs during `npm install`, before any TypeScript tooling.
'use strict';

const fs = require('node:fs');
const path = require('node:path');

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

module.exports = {
  ENV_VARIABLE,
  HEADER_TREES,
  InstallError,
  PROJECT_ROOT,
  SOURCE_RECORD,
  TFJS_LIBTENSORFLOW_VERSION,
  depsLibFile,
  say,
  tfjsNodeDir,
  whatToDo,
};

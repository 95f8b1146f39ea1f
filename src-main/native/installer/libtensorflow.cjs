// Where @tensorflow/tfjs-node gets its libtensorflow from, and how to give it a local one.
//
// Online, tfjs-node's install script downloads libtensorflow and we do nothing. Offline
// (air-gapped machines, CI here) that download fails and would fail the whole
// `npm install`, so before tfjs-node's script runs we stage a local TensorFlow — a CPU
// wheel, a libtensorflow .tar.gz or an unpacked folder — into its deps/ folder under
// the names its script and binding.gyp expect. Its script then skips the download and
// builds the binding from source. The work is split by job: discovery.cjs (can it
// download; where is a local TensorFlow), staging.cjs (lay it out in deps/) and
// build-binding.cjs (does the binding load; build it). This file holds the two
// install-time entry points and what doctor reports. Plain CommonJS on purpose: this runs
// during `npm install`, before any TypeScript tooling can.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const {
  ENV_VARIABLE,
  InstallError,
  SOURCE_RECORD,
  TFJS_LIBTENSORFLOW_VERSION,
  depsLibFile,
  say,
  tfjsNodeDir,
  whatToDo,
} = require('./common.cjs');
const {
  discoverLocalSource,
  downloadOrigin,
  isReachable,
  newestWheel,
} = require('./discovery.cjs');
const { stageLibtensorflow, wantedWheelPath } = require('./staging.cjs');
const { bindingProblem, buildBinding } = require('./build-binding.cjs');

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

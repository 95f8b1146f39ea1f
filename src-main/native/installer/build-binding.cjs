// Build: does tfjs-node's native binding load, and if not, build it from source against
// the libtensorflow in its deps/ folder with tfjs-node's own install script.
'use strict';

const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { PROJECT_ROOT } = require('./common.cjs');

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

/** Runs tfjs-node's install script (node-pre-gyp, building from source offline); true on success. */
function buildBinding(tfjsDir) {
  const bin = path.join(PROJECT_ROOT, 'node_modules', '.bin');
  const result = spawnSync(process.execPath, [path.join('scripts', 'install.js')], {
    cwd: tfjsDir,
    stdio: 'inherit',
    env: { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH}` },
  });
  return result.status === 0;
}

module.exports = { bindingProblem, buildBinding };

// Builds LSTM Studio's own LSTM kernels (lstm_kernels.cc) with node-gyp against the
// TensorFlow that @tensorflow/tfjs-node uses. Run by the root postinstall after the
// TensorFlow binding is known to load, and by hand with `node src-main/native/kernels/build.cjs`.
// The kernels are optional: when they do not build, the engine uses TensorFlow's own
// BlockLSTM kernels, so a failure here is one line of warning, never a failed install.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const HERE = __dirname;
const OUTPUT = path.join(HERE, 'build', 'Release', 'lstm_studio_kernels.node');

/** The node-gyp to run: the one npm runs scripts with, else the project's own. */
function nodeGyp() {
  const fromNpm = process.env.npm_config_node_gyp;
  if (fromNpm && fs.existsSync(fromNpm)) return fromNpm;
  try {
    return require.resolve('node-gyp/bin/node-gyp.js', { paths: [HERE, process.cwd()] });
  } catch {
    return null;
  }
}

/**
 * node-gyp's --nodedir when npm has not set one: the headers of the running Node, where a
 * system or tarball install keeps them (<prefix>/include/node). Without it node-gyp
 * downloads them, which an offline machine cannot.
 */
function nodeDirArgs() {
  if (process.env.npm_config_nodedir) return [];
  const prefix = path.dirname(path.dirname(process.execPath));
  return fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h'))
    ? [`--nodedir=${prefix}`]
    : [];
}

/** Returns null when the library was built, else why not (one line). */
function buildStudioKernels({ quiet = false } = {}) {
  const gyp = nodeGyp();
  if (!gyp) return 'node-gyp was not found';
  const result = spawnSync(process.execPath, [gyp, 'rebuild', ...nodeDirArgs()], {
    cwd: HERE,
    encoding: 'utf8',
    timeout: 600000,
  });
  if (result.status === 0 && fs.existsSync(OUTPUT)) return null;
  const output = `${result.stdout || ''}\n${result.stderr || ''}`;
  if (!quiet && process.env.LSTM_STUDIO_DEBUG) console.error(output);
  const line = output.split('\n').find((text) => /error/i.test(text));
  return (line || `node-gyp exited with ${result.status ?? result.signal}`).trim().slice(0, 200);
}

module.exports = { buildStudioKernels, OUTPUT };

if (require.main === module) {
  const problem = buildStudioKernels();
  if (problem) {
    console.error(`LSTM Studio: the fast LSTM kernels did not build (${problem})`);
    process.exit(1);
  }
  console.log(`LSTM Studio: built ${path.relative(process.cwd(), OUTPUT)}`);
}

// Builds LSTM Studio's own TensorFlow kernels (the C++ files beside this one) with node-gyp.
// Run by the root postinstall after the TensorFlow binding is known to load, and by hand
// with `node src-main/native/kernels/build.cjs`. The build needs no TensorFlow header and
// links no TensorFlow library: the kernels find TensorFlow's C kernel API at load time in
// the libraries tfjs-node has loaded (tf_kernel_api.cc). What it needs is node-gyp,
// Python 3 and a C++ compiler (GCC or Clang; on Windows Visual Studio's Clang tools).
//
// The kernels are optional: when they do not build, the engine uses TensorFlow's own
// BlockLSTM kernels, so a failure here is one line of warning, never a failed install. The
// outcome is written to build/lstm-studio-build.json, so the engine can later say why the
// kernels are missing (no compiler, or the build failed) and what to do.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const HERE = __dirname;
const BUILD_DIR = path.join(HERE, 'build');
const OUTPUT = path.join(BUILD_DIR, 'Release', 'lstm_studio_kernels.node');
const RECORD = path.join(BUILD_DIR, 'lstm-studio-build.json');

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

/** Whether `command` is an executable file on PATH (or a path to one). */
function onPath(command) {
  const candidates = command.includes(path.sep)
    ? [command]
    : (process.env.PATH || '').split(path.delimiter).map((dir) => path.join(dir, command));
  return candidates.some((file) => {
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return fs.statSync(file).isFile();
    } catch {
      return false;
    }
  });
}

/**
 * The C++ compiler node-gyp's make build will call ($CXX, else c++, g++ or clang++), or
 * null when there is none. On Windows node-gyp finds Visual Studio itself, so this is not
 * asked there.
 */
function findCompiler() {
  if (process.platform === 'win32') return 'Visual Studio (found by node-gyp)';
  const fromEnv = process.env.CXX ? process.env.CXX.trim().split(/\s+/)[0] : '';
  const names = fromEnv ? [fromEnv] : ['c++', 'g++', 'clang++'];
  return names.find(onPath) || null;
}

/** Sorts a failed build's output into what the user can act on. */
function classify(output) {
  if (/Could not find any Visual Studio|find VS|ClangCL|clang-cl/i.test(output)) {
    return 'no-compiler';
  }
  if (
    /(c\+\+|g\+\+|clang\+\+|cc|make): (command )?not found|No such file or directory.*(g\+\+|c\+\+)/.test(
      output,
    )
  ) {
    return 'no-compiler';
  }
  return 'failed';
}

function writeRecord(record) {
  try {
    fs.mkdirSync(BUILD_DIR, { recursive: true });
    fs.writeFileSync(
      RECORD,
      `${JSON.stringify({ ...record, at: new Date().toISOString() }, null, 2)}\n`,
    );
  } catch {
    // A record that cannot be written only loses the explanation, not the build.
  }
}

/** Reads what the last build recorded, or null. */
function readBuildRecord(file = RECORD) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

/** Returns null when the library was built, else why not (one line). */
function buildStudioKernels({ quiet = false } = {}) {
  const fail = (kind, problem) => {
    writeRecord({ ok: false, kind, problem });
    return problem;
  };
  const gyp = nodeGyp();
  if (!gyp) return fail('failed', 'node-gyp was not found');
  const compiler = findCompiler();
  if (!compiler) {
    return fail(
      'no-compiler',
      `no C++ compiler was found (${process.env.CXX ? `CXX=${process.env.CXX}` : 'c++, g++ or clang++'} on PATH)`,
    );
  }
  // --jobs max: the kernels are seven translation units; compile them side by side.
  const result = spawnSync(process.execPath, [gyp, 'rebuild', '--jobs', 'max', ...nodeDirArgs()], {
    cwd: HERE,
    encoding: 'utf8',
    timeout: 600000,
  });
  if (result.status === 0 && fs.existsSync(OUTPUT)) {
    writeRecord({ ok: true, compiler });
    return null;
  }
  const output = `${result.stdout || ''}\n${result.stderr || ''}`;
  if (!quiet && process.env.LSTM_STUDIO_DEBUG) console.error(output);
  const line = output.split('\n').find((text) => /error/i.test(text));
  const problem = (line || `node-gyp exited with ${result.status ?? result.signal}`)
    .trim()
    .slice(0, 200);
  return fail(classify(output), problem);
}

module.exports = { buildStudioKernels, readBuildRecord, OUTPUT, RECORD };

if (require.main === module) {
  const problem = buildStudioKernels();
  if (problem) {
    console.error(`LSTM Studio: the fast LSTM kernels did not build (${problem})`);
    process.exit(1);
  }
  console.log(`LSTM Studio: built ${path.relative(process.cwd(), OUTPUT)}`);
}

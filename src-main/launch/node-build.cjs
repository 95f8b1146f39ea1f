// The compiled Node entries: the `lstm-studio` CLI, browser mode's server and the engine
// process it forks, bundled by esbuild into out/node/ (ES modules, dependencies left in
// node_modules, shared code in chunks beside the entries). `npm install` builds them (the
// root postinstall runs this file); `lstm-studio` and `npm run web` rebuild them once when
// they are missing or older than the sources, with one line on stderr saying so. Nothing a
// user runs compiles TypeScript at run time.
//
// out/node/ sits two levels below the project root, as src-main/<folder>/ does, so modules
// that find files relative to themselves (the sample corpus, package.json, the native
// addons' build folder) find the same files from either place.
// Plain CommonJS: it runs before any TypeScript tooling can.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { pathToFileURL } = require('node:url');

const ROOT = path.resolve(__dirname, '..', '..');
const OUT = path.join(ROOT, 'out', 'node');
/** Written last by a build: its modification time is the build's. */
const STAMP = '.built';

/** Each built entry (out/node/<name>.js) and its source. */
const ENTRIES = {
  cli: 'src-main/cli/index.ts',
  web: 'src-main/server/cli.ts',
  engine: 'src-main/engine/process-entry.ts',
};

/** Sources whose change makes the build stale (not the bench, the kernels' C++ or the renderer). */
const SOURCE_EXTENSIONS = new Set(['.ts', '.cjs', '.js', '.mjs', '.json']);
const SKIPPED_FOLDERS = new Set(['bench', 'native']);

/** The newest modification time of a build input (0 when there is none). */
const newestSource = function () {
  let newest = fs.statSync(path.join(ROOT, 'package.json')).mtimeMs;
  newest = Math.max(newest, fs.statSync(__filename).mtimeMs);
  const src = path.join(ROOT, 'src-main');
  for (const entry of fs.readdirSync(src, { withFileTypes: true })) {
    if (!entry.isDirectory() || SKIPPED_FOLDERS.has(entry.name)) continue;
    for (const file of fs.readdirSync(path.join(src, entry.name), {
      withFileTypes: true,
      recursive: true,
    })) {
      if (file.isFile() && SOURCE_EXTENSIONS.has(path.extname(file.name))) {
        newest = Math.max(newest, fs.statSync(path.join(file.parentPath, file.name)).mtimeMs);
      }
    }
  }
  return newest;
};

/** Why the build must run, or null when out/node/ is complete and newer than the sources. */
const staleReason = function () {
  let built;
  try {
    built = fs.statSync(path.join(OUT, STAMP)).mtimeMs;
  } catch {
    return 'not built yet';
  }
  for (const name of Object.keys(ENTRIES)) {
    if (!fs.existsSync(path.join(OUT, `${name}.js`))) return 'not built yet';
  }
  // Without the sources (a copy of out/ alone) there is nothing to rebuild from.
  if (!fs.existsSync(path.join(ROOT, 'src-main', 'cli', 'index.ts'))) return null;
  return newestSource() > built ? 'the sources changed' : null;
};

/**
 * Builds out/node/ into a temporary folder and moves it into place, so a process starting
 * meanwhile never sees half a build, and two builds at once (parallel test files) both end
 * with a complete one.
 */
const build = function () {
  let esbuild;
  try {
    esbuild = require('esbuild');
  } catch {
    throw new Error(
      'esbuild is not installed, so the command line cannot be built; run `npm install`',
    );
  }
  fs.mkdirSync(path.dirname(OUT), { recursive: true });
  const temporary = fs.mkdtempSync(path.join(path.dirname(OUT), '.node-build-'));
  try {
    fs.chmodSync(temporary, 0o755);
    esbuild.buildSync({
      absWorkingDir: ROOT,
      entryPoints: Object.fromEntries(
        Object.entries(ENTRIES).map(([name, source]) => [name, path.join(ROOT, source)]),
      ),
      outdir: temporary,
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      packages: 'external',
      chunkNames: 'chunk-[hash]',
      sourcemap: 'linked',
      logLevel: 'error',
    });
    fs.writeFileSync(path.join(temporary, 'package.json'), '{ "type": "module" }\n');
    fs.writeFileSync(path.join(temporary, STAMP), `${new Date().toISOString()}\n`);
    const previous = `${temporary}-previous`;
    try {
      fs.renameSync(OUT, previous);
    } catch {
      // No previous build.
    }
    try {
      fs.renameSync(temporary, OUT);
    } catch {
      // Another build moved its own (identical) output in first.
    }
    fs.rmSync(previous, { recursive: true, force: true });
  } finally {
    fs.rmSync(temporary, { recursive: true, force: true });
  }
};

/** Builds when stale, saying so in one line on stderr. */
const ensureBuilt = function () {
  const reason = staleReason();
  if (!reason) return;
  process.stderr.write(
    `LSTM Studio: building the command line and engine into out/node (${reason})…\n`,
  );
  build();
};

/** Runs a built entry (`cli`, `web`) in this process, building it first when needed. */
const runBuilt = function (name) {
  try {
    ensureBuilt();
  } catch (error) {
    process.stderr.write(
      `LSTM Studio: ${error && error.message ? error.message.split('\n')[0] : error}\n`,
    );
    process.exit(1);
  }
  return import(pathToFileURL(path.join(OUT, `${name}.js`)).href);
};

module.exports = { ENTRIES, OUT, build, ensureBuilt, newestSource, runBuilt, staleReason };

// `node src-main/launch/node-build.cjs` (the root postinstall): build now.
if (require.main === module) {
  try {
    build();
    console.log('LSTM Studio: command line, browser-mode server and engine built into out/node');
  } catch (error) {
    console.error(`LSTM Studio: ${error && error.message ? error.message : error}`);
    process.exit(1);
  }
}

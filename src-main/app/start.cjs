#!/usr/bin/env node
// `npm start`: launches the desktop app. It finds the Electron runtime without touching
// require('electron') (whose index.js downloads synchronously with no time limit), tries
// Electron's own installer once with a short timeout when the runtime is missing, and
// otherwise explains in ONE line how to use the same app in a browser. When Electron is
// there, it builds out/ if needed and runs the app.
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

// Function expressions rather than declarations: eslint-plugin-svelte's no-inner-declarations
// crashes on top-level declarations in CommonJS files.
const ROOT = path.resolve(__dirname, '..', '..');
const DOWNLOAD_TIMEOUT_MS = Number(process.env.LSTM_STUDIO_ELECTRON_TIMEOUT_MS || 12_000);
const NO_RUNTIME =
  'LSTM Studio: the Electron runtime is not installed and cannot be downloaded (no network). ' +
  'Run `npm run web` to use the same app in your browser.';

/** The electron package folder, or null when the package itself is missing. */
const electronPackage = function () {
  try {
    return path.dirname(require.resolve('electron/package.json', { paths: [ROOT] }));
  } catch {
    return null;
  }
};

/** The executable's path when it exists (honouring ELECTRON_OVERRIDE_DIST_PATH like electron's index.js). */
const electronBinary = function (pkg) {
  let relative = null;
  try {
    relative = fs.readFileSync(path.join(pkg, 'path.txt'), 'utf8').trim();
  } catch {
    relative = null;
  }
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  if (override) {
    const candidate = path.join(override, relative || 'electron');
    return fs.existsSync(candidate) ? candidate : null;
  }
  if (!relative) return null;
  const candidate = path.join(pkg, 'dist', relative);
  return fs.existsSync(candidate) ? candidate : null;
};

/**
 * Runs Electron's own installer, quietly and with a time limit; resolves true when it
 * succeeded. A note appears only if the download takes a while, so an offline machine
 * (where the installer fails at once) still gets exactly one line.
 */
const tryDownload = function (pkg) {
  const installer = path.join(pkg, 'install.js');
  if (!fs.existsSync(installer)) return Promise.resolve(false);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [installer], { cwd: pkg, stdio: 'ignore' });
    const note = setTimeout(
      () => process.stderr.write('LSTM Studio: downloading the Electron runtime (first run)…\n'),
      3000,
    );
    const limit = setTimeout(() => child.kill('SIGKILL'), DOWNLOAD_TIMEOUT_MS);
    const done = (ok) => {
      clearTimeout(note);
      clearTimeout(limit);
      resolve(ok);
    };
    child.on('error', () => done(false));
    child.on('exit', (code) => done(code === 0));
  });
};

/** Newest modification time under `dir` (0 when absent). */
const newest = function (dir) {
  if (!fs.existsSync(dir)) return 0;
  let latest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile())
      latest = Math.max(latest, fs.statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
  }
  return latest;
};

const needsBuild = function () {
  const outputs = [
    'out/main/index.js',
    'out/main/engine.js',
    'out/preload/index.cjs',
    'out/renderer/index.html',
  ];
  const built = outputs.map((file) => path.join(ROOT, file));
  if (!built.every((file) => fs.existsSync(file))) return true;
  const oldest = Math.min(...built.map((file) => fs.statSync(file).mtimeMs));
  return (
    Math.max(newest(path.join(ROOT, 'src-main')), newest(path.join(ROOT, 'src-renderer'))) > oldest
  );
};

const fail = function (message) {
  process.stderr.write(`${message}\n`);
  process.exit(1);
};

const main = async function () {
  const pkg = electronPackage();
  if (!pkg) fail(NO_RUNTIME);
  let binary = electronBinary(pkg);
  if (!binary && process.env.LSTM_STUDIO_NO_DOWNLOAD !== '1') {
    if (await tryDownload(pkg)) binary = electronBinary(pkg);
  }
  if (!binary) fail(NO_RUNTIME);

  if (needsBuild()) {
    const bin = path.join(
      ROOT,
      'node_modules',
      '.bin',
      process.platform === 'win32' ? 'electron-vite.cmd' : 'electron-vite',
    );
    const build = spawnSync(bin, ['build'], { cwd: ROOT, stdio: 'inherit' });
    if (build.status !== 0) fail('LSTM Studio: the build failed; see the messages above.');
  }

  const child = spawn(binary, [ROOT, ...process.argv.slice(2)], { cwd: ROOT, stdio: 'inherit' });
  child.on('error', (error) => fail(`LSTM Studio: could not start Electron: ${error.message}`));
  child.on('exit', (code, signal) => process.exit(code === null ? (signal ? 1 : 0) : code));
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => child.kill(signal));
  }
};

main().catch((error) =>
  fail(`LSTM Studio: ${error && error.message ? error.message.split('\n')[0] : error}`),
);

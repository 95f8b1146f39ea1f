#!/usr/bin/env node
// `lstm-studio` on the PATH (`npm link`, or npx lstm-studio …). Runs the compiled CLI in
// out/node/cli.js, which `npm install` builds; when it is missing or older than the
// sources it is built once first, with one line on stderr saying so.
'use strict';
const { runBuilt } = require('../launch/node-build.cjs');

// Stack traces (--debug only) point into the TypeScript sources through the source maps.
if (process.argv.includes('--debug')) process.setSourceMapsEnabled(true);
runBuilt('cli');

// Runs as a dependency's `preinstall`, which npm runs for every package before any
// package's `install` script: so this is the one moment at which we can put a local
// libtensorflow where @tensorflow/tfjs-node's own install script looks for it, before
// that script tries (and, offline, fails) to download it. Plain CommonJS because it
// runs before any of the project's TypeScript tooling is usable.
'use strict';
const { prepareBeforeTfjsInstall } = require('./libtensorflow.cjs');

prepareBeforeTfjsInstall().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`LSTM Studio: ${error && error.message ? error.message : error}`);
    if (process.env.LSTM_STUDIO_DEBUG) console.error(error);
    process.exit(1);
  },
);

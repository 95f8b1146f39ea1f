// The project's own install step (package.json "postinstall"): after npm has installed
// everything, the native TensorFlow binding must load; if it does not, build it from a
// local TensorFlow. Plain CommonJS: it runs before any TypeScript tooling can.
'use strict';
const { ensureBindingAfterInstall } = require('./installer/libtensorflow.cjs');

ensureBindingAfterInstall().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`LSTM Studio: ${error && error.message ? error.message : error}`);
    if (process.env.LSTM_STUDIO_DEBUG) console.error(error);
    process.exit(1);
  },
);

// The project's own install step (package.json "postinstall"): after npm has installed
// everything, the native TensorFlow binding must load; if it does not, build it from a
// local TensorFlow. Then LSTM Studio's own LSTM kernels are built against that TensorFlow
// (optional: without them training uses TensorFlow's BlockLSTM kernels).
// Plain CommonJS: it runs before any TypeScript tooling can.
'use strict';
const { ensureBindingAfterInstall } = require('./installer/libtensorflow.cjs');
const { buildStudioKernels } = require('./kernels/build.cjs');

ensureBindingAfterInstall().then(
  (code) => {
    if (code === 0) {
      const problem = buildStudioKernels();
      console.log(
        problem
          ? `LSTM Studio: the fast LSTM kernels did not build (${problem}); training will use TensorFlow's BlockLSTM kernels`
          : 'LSTM Studio: fast LSTM kernels built',
      );
    }
    process.exit(code);
  },
  (error) => {
    console.error(`LSTM Studio: ${error && error.message ? error.message : error}`);
    if (process.env.LSTM_STUDIO_DEBUG) console.error(error);
    process.exit(1);
  },
);

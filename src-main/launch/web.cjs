// `npm run web`: browser mode, from the compiled server in out/node/web.js (built by
// `npm install`, or once here when it is missing or older than the sources).
'use strict';
const { runBuilt } = require('./node-build.cjs');

runBuilt('web');

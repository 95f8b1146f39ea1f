#!/usr/bin/env node
// `lstm-studio` on the PATH (npx lstm-studio …). The CLI is TypeScript run through tsx,
// so a fresh `npm install` needs no build step before the CLI works.
'use strict';
const path = require('node:path');
const { pathToFileURL } = require('node:url');

import('tsx')
  .then(() => import(pathToFileURL(path.join(__dirname, 'index.ts')).href))
  .catch((error) => {
    console.error(`lstm-studio: ${error && error.message ? error.message.split('\n')[0] : error}`);
    process.exit(1);
  });

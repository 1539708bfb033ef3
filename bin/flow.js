#!/usr/bin/env node
// The CLI from its prebuilt bundle with V8's code cache (see src/cli/bundle-loader.ts).
require('../dist/src/cli/bundle-loader.js').startCli();

#!/usr/bin/env node
require('../dist/src/mithril-sim/main.js');

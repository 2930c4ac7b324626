#!/usr/bin/env node
// Regenerates src/trace/generated/tracepoints.ts from traces/*.trace-events.
// Uses the compiled generator (run `npx tsc -p .` first); then rebuild so dist/ picks the result up.
// The generated file is committed; test/trace/generated.test.ts fails when it is stale.
'use strict';
const path = require('node:path');
const { writeGenerated } = require(path.join(__dirname, '..', 'dist', 'trace', 'gen.js'));
const changed = writeGenerated();
process.stdout.write(changed ? 'gen-trace: src/trace/generated/tracepoints.ts updated\n' : 'gen-trace: up to date\n');

#!/usr/bin/env node
// The `oms` command as installed (`npx oms`, package.json `bin`): runs src/cli/oms.ts on a Node new
// enough for it, even where the machine's own Node is older (see node-runtime.mjs).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runWithNode } from './node-runtime.mjs';

runWithNode('node', [path.join(path.dirname(fileURLToPath(import.meta.url)), 'oms.ts'), ...process.argv.slice(2)]);

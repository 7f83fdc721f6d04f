#!/usr/bin/env node
// The `oms` command as installed (`npx oms`, package.json `bin`): runs src/cli/oms.ts on a Node new
// enough for it, even where the machine's own Node is older (see node-runtime.mjs), with the role's
// heap budget (see node-flags.mjs).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeFlagsFor } from './node-flags.mjs';
import { runWithNode } from './node-runtime.mjs';

const args = process.argv.slice(2);
runWithNode('node', [...nodeFlagsFor(args[0]), path.join(path.dirname(fileURLToPath(import.meta.url)), 'oms.ts'), ...args]);

#!/usr/bin/env node
import { Command } from 'commander';
import { hideKnownKafkajsWarning } from '../observability/known-warnings.ts';
import { registerDevCommands } from './dev.ts';
import { registerOperatorCommands } from './operate.ts';
import { registerRoleCommands } from './roles.ts';
import { registerSchemaCommands } from './schemas.ts';

hideKnownKafkajsWarning();

const program = new Command('oms')
  .description('Kafka-native order processing on Temporal')
  .showHelpAfterError()
  .configureOutput({ outputError: (message, write) => write(message) });

registerDevCommands(program);
registerRoleCommands(program);
registerOperatorCommands(program);
registerSchemaCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  // One clear line for the user; the stack is noise for a failed command.
  console.error(`oms: ${(error as Error).message}`);
  process.exitCode = 1;
}

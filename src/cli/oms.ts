#!/usr/bin/env node
import { Command } from 'commander';
import { existsSync } from 'node:fs';
import { hideKnownKafkajsWarning } from '../observability/known-warnings.ts';
import { registerConfigCommand } from './config.ts';
import { registerHistoryCommand } from './history.ts';
import { registerKeysCommand } from './keys.ts';
import { loadDevTooling } from './dev-tooling.ts';
import { registerOperatorCommands } from './operate.ts';
import { registerRoleCommands } from './roles.ts';
import { registerTailCommand } from './tail.ts';
import { registerOrderCommand } from './order.ts';
import { registerSloRulesCommand } from './slo-rules.ts';
import { registerTopicsCommands } from './topics.ts';
import { registerAclCommands } from './acl.ts';

hideKnownKafkajsWarning();

// Settings from a .env file (OMS_ENV_FILE, or .env in the working directory); the environment wins.
const envFile = process.env.OMS_ENV_FILE ?? '.env';
if (existsSync(envFile)) process.loadEnvFile(envFile);

const program = new Command('oms')
  .description('Kafka-native order processing on Temporal')
  .showHelpAfterError()
  .configureOutput({ outputError: (message, write) => write(message) });

// The roles never use the dev tooling, and loading it (the demo, the stack's health checks) costs a
// restarted ingest most of a second before it can take its partitions back.
const ROLE_COMMANDS = new Set(['ingest', 'worker', 'codec-server']);
const devTooling = ROLE_COMMANDS.has(process.argv[2] ?? '') ? undefined : await loadDevTooling();
registerRoleCommands(program, devTooling);
registerOperatorCommands(program);
registerConfigCommand(program);
registerKeysCommand(program);
registerHistoryCommand(program);
registerTailCommand(program, devTooling);
registerOrderCommand(program, devTooling);
registerSloRulesCommand(program);
registerTopicsCommands(program);
registerAclCommands(program);
devTooling?.register(program);

/** An operator command's kafkajs error (a refused login, an untrusted broker, a missing ACL) as the roles explain it at start. */
async function explainedKafkaFailure(error: unknown): Promise<unknown> {
  if (!(error as Error | undefined)?.name?.startsWith('KafkaJS')) return error;
  try {
    const [{ explainKafkaFailure }, { loadConfig }] = await Promise.all([import('../kafka/access.ts'), import('../config/config.ts')]);
    return explainKafkaFailure(error, loadConfig());
  } catch {
    return error;
  }
}

try {
  await program.parseAsync(process.argv);
} catch (error) {
  // One clear line for the user; the stack is noise for a failed command. A Kafka refusal says what to fix.
  console.error(`oms: ${((await explainedKafkaFailure(error)) as Error).message}`);
  // Whatever the failed command left open (a client, a timer) must not keep the process alive.
  process.exit(1);
}

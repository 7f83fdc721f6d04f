import type { Command } from 'commander';
import { createInterface } from 'node:readline/promises';
import type { DevTooling } from '../cli/dev-tooling.ts';
import { untilStopSignal } from '../cli/stop-signal.ts';
import { loadConfig } from '../config/config.ts';
import { createLogger } from '../observability/logger.ts';
import { runDemo } from './demo/demo.ts';
import { composeDown, composeReset, composeStatus, composeUp } from './docker/compose.ts';
import { endpointsToEnvLines } from './endpoints.ts';
import { localEnv, startLocalDependencies, startStandins } from './local.ts';
import { nativeDown, nativeInstall, nativeReset, nativeRestart, nativeStatus, nativeUp } from './native/stack.ts';
import { SECURE_SERVICE_NAMES, SERVICE_NAMES, type ServiceName } from './native/services.ts';
import { registerSchemaCommands } from './schemas-command.ts';

const ALL_SERVICES: readonly string[] = [...SERVICE_NAMES, ...SECURE_SERVICE_NAMES];

/** Progress goes to stderr so that stdout carries only the endpoint lines: `eval "$(oms dev up)"` works. */
const progress = (line: string) => console.error(`[dev] ${line}`);

const megabytes = (bytes: number) => `${(bytes / 1_048_576).toFixed(1)} MB`;

/** Asks on a terminal; anywhere else (CI, a pipe) the answer is no unless --yes was given. */
async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await prompt.question(`${question} [y/N] `)).trim());
  } finally {
    prompt.close();
  }
}

function registerStackCommands(program: Command): void {
  const dev = program.command('dev').description('Run the local stack: Kafka, schema registry, Temporal and Redis on 127.0.0.1');

  dev
    .command('install')
    .description('Fetch the local stack\'s pinned tools (src/dev/native/toolchain.json: a JDK, Valkey, the Temporal CLI, Kafka, Apicurio Registry) into .cache, checked by sha256, without starting it')
    .action(async () => {
      const tools = await nativeInstall({ progress });
      progress(`tools: java ${tools.java}, redis ${tools.redisServer}, temporal ${tools.temporal}`);
    });

  dev
    .command('up')
    .description('Start the stack over its kept data (or reuse what is running), wait until healthy, print endpoints as env lines')
    .option('--docker', 'use docker compose with docker-compose.yml instead of native processes')
    .option('--secure', 'also run the secured stack: Kafka over SASL_SSL with a SCRAM user and ACLs per role, Temporal behind mTLS, the registry behind basic auth (native only)')
    .action(async (options: { docker?: boolean; secure?: boolean }) => {
      if (options.docker && options.secure) throw new Error('--secure runs native processes only; drop --docker');
      if (options.docker) return void console.log(endpointsToEnvLines(await composeUp()).join('\n'));
      const up = await nativeUp({ progress, secure: options.secure });
      console.log(endpointsToEnvLines(up.endpoints).join('\n'));
      if (up.secure) {
        progress(`secured: Kafka ${up.secure.kafkaBrokers} (SASL_SSL), Temporal ${up.secure.temporalAddress} (mTLS), registry ${up.secure.schemaRegistryUrl} (basic auth)`);
        for (const [role, file] of Object.entries(up.secure.envFiles)) progress(`  ${role.padEnd(8)} set -a; . ${file}; set +a`);
      }
    });

  dev
    .command('down')
    .description('Stop what `oms dev up` started (by pid), and nothing else; the data stays for the next `up`')
    .option('--docker', 'stop the docker compose stack')
    .action(async (options: { docker?: boolean }) => {
      if (options.docker) return composeDown();
      const stopped = await nativeDown({ progress });
      progress(stopped.length > 0 ? `stopped ${stopped.join(', ')}` : 'nothing of ours was running');
    });

  dev
    .command('restart')
    .argument('<service>', ALL_SERVICES.join(', '))
    .description('Stop one service of the stack (if running) and start it again over its kept data')
    .action(async (service: string) => {
      if (!ALL_SERVICES.includes(service)) throw new Error(`unknown service ${service}; expected one of ${ALL_SERVICES.join(', ')}`);
      await nativeRestart(service as ServiceName, { progress });
    });

  dev
    .command('reset')
    .description('Stop the stack and delete everything it kept: topics, offsets, workflows, schemas')
    .option('--yes', 'do not ask')
    .option('--docker', 'the docker compose stack (its volumes)')
    .action(async (options: { yes?: boolean; docker?: boolean }) => {
      const what = options.docker ? 'the docker compose volumes' : nativeStatusDataLine();
      if (!options.yes && !(await confirm(`Delete ${what}? Every topic, offset, workflow and schema of the local stack is lost.`))) {
        throw new Error('reset not confirmed: nothing was deleted (use --yes where no terminal can answer)');
      }
      if (options.docker) return composeReset();
      const stopped = await nativeReset({ progress });
      progress(`${stopped.length > 0 ? `stopped ${stopped.join(', ')}; ` : ''}the next \`oms dev up\` starts empty`);
    });

  dev
    .command('status')
    .description('Show which services are up, and where and how much data each keeps')
    .option('--docker', 'show the docker compose stack')
    .action(async (options: { docker?: boolean }) => {
      if (options.docker) return composeStatus();
      const { services, endpoints } = await nativeStatus();
      for (const service of services) {
        const pid = service.pid ? `pid ${service.pid}` : '';
        const data = service.data ? `data ${service.data.path} (${megabytes(service.data.bytes)})` : 'data in memory only';
        console.log(`${service.name.padEnd(16)} ${service.state.padEnd(22)} ${pid.padEnd(11)} ${data}  log ${service.logFile}`);
      }
      if (services.every((service) => service.state === 'up')) console.log(endpointsToEnvLines(endpoints).join('\n'));
      else process.exitCode = 3;
    });
}

function nativeStatusDataLine(): string {
  return `the local stack's data (${process.env.OMS_DEV_STATE_DIR ?? process.env.OMS_CACHE_DIR ?? '.cache'}/data)`;
}

function registerStandinsCommand(program: Command): void {
  program
    .command('standins')
    .description('Run the storefront, payment-provider and risk-service stand-ins (for demos and the docker compose system)')
    .action(async () => {
      const standins = await startStandins(process.env);
      console.error(`[standins] storefront ${standins.storefrontUrl}, payment provider ${standins.paymentProviderUrl}, risk service ${standins.riskUrl}`);
      await untilStopSignal();
      await standins.close();
    });
}

function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('Produce a bounded stream of realistic webhook events against the running service, show progress, and check the outcome')
    .option('--orders <n>', 'how many orders', (value) => Number.parseInt(value, 10), 24)
    .option('--timeout <seconds>', 'how long to wait for every order', (value) => Number.parseInt(value, 10), 180)
    .option('--via <path>', 'kafka: produce to the inbound topics; gateway: send signed webhooks to oms gateway (GATEWAY_HOST:GATEWAY_PORT, signed with GATEWAY_SECRETS)', 'kafka')
    .action(async (options: { orders: number; timeout: number; via: string }) => {
      if (options.via !== 'kafka' && options.via !== 'gateway') throw new Error(`--via: expected kafka or gateway, got ${options.via}`);
      const config = loadConfig({ ...process.env, ...localEnv(process.env) });
      const report = await runDemo(config, createLogger({ ...config.log, level: 'warn' }), { orders: options.orders, via: options.via, timeoutMs: options.timeout * 1_000, out: process.stderr });
      for (const line of report.lines) console.log(line);
      if (report.firstFulfillmentSeconds !== undefined) console.log(`first fulfillment message ${report.firstFulfillmentSeconds.toFixed(1)} s after the first event`);
      const ui = config.temporal.uiUrl ?? 'http://127.0.0.1:8233';
      console.log(`Temporal UI: ${ui}/namespaces/${config.temporal.namespace}/workflows`);
      console.log('Fulfillment messages as they are published: npx oms tail fulfillment --from-beginning');
      if (!report.ok) process.exitCode = 1;
    });
}

/** The developer tooling `oms` loads when it is there (a checkout, not the container image). */
export const devTooling: DevTooling = {
  register(program) {
    registerStackCommands(program);
    registerStandinsCommand(program);
    registerDemoCommand(program);
    registerSchemaCommands(program);
  },
  localEnv,
  startLocalDependencies,
};

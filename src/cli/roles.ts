import type { Command } from 'commander';
import { getHeapStatistics } from 'node:v8';
import { Registry } from 'prom-client';
import { ConfigError, loadConfig, requireAll, type Config, type Env } from '../config/config.ts';
import { startProbeServer } from '../observability/http.ts';
import { createLogger, type Logger } from '../observability/logger.ts';
import { metricsRegistry, withDefaultMetrics } from '../observability/metrics.ts';
import { startTracing } from '../observability/tracing.ts';
import { gatewayNeeds } from '../service/gateway-needs.ts';
import { ingestNeeds } from '../service/ingest-needs.ts';
import { parseWorkerGroups, WORKER_GROUPS, workerNeeds, type WorkerGroup } from '../service/worker-groups.ts';
import type { DevTooling } from './dev-tooling.ts';
import { untilStopSignal } from './stop-signal.ts';

export interface RunningRole {
  isReady(): boolean;
  stop(): Promise<void>;
}

/** A role: what it needs from config (checked before any role starts), and how to start it. */
export interface Role {
  /** Whether it reads or writes Temporal payloads, and so needs the key ring (the gateway does not, and is not given it). */
  temporalPayloads: boolean;
  needs(config: Config): [keyof Env, unknown][];
  start(config: Config, logger: Logger, registry: Registry): Promise<RunningRole>;
}

/**
 * Runs long-lived roles until SIGTERM or SIGINT, with /healthz, /readyz and /metrics. On the signal
 * it stops every role, bounded by SHUTDOWN_GRACE_MS: whatever is still in flight then is abandoned
 * uncommitted (Kafka redelivers it, the workflows deduplicate it), and the process exits 0.
 */
export async function runRoles(roles: Record<string, Role>, options: { env?: NodeJS.ProcessEnv; onStop?: () => Promise<void> } = {}): Promise<void> {
  const config = loadConfig(options.env);
  requireAll(Object.values(roles).flatMap((role) => role.needs(config)));
  const logger = createLogger(config.log);
  for (const line of config.warnings) logger.warn(line);
  // Before any role starts, so that their clients and servers are traced from the first request.
  const traces = await startTracing(config.tracing, Object.keys(roles));
  // A role that handles Temporal payloads can't start without a good key ring: that stops start-up here, before anything connects.
  const withPayloads = Object.values(roles).some((role) => role.temporalPayloads);
  const encryption = withPayloads ? (await import('../temporal/factory.ts')).payloadEncryption(config) : undefined;
  if (encryption === 'off') logger.warn('TEMPORAL_ENCRYPTION=off: workflow inputs, signals, results and failures go to Temporal as plain JSON');
  const registry = withDefaultMetrics(metricsRegistry());
  const running: [string, RunningRole][] = [];
  let probes: Awaited<ReturnType<typeof startProbeServer>>;
  try {
    for (const [name, role] of Object.entries(roles)) running.push([name, await role.start(config, logger, registry)]);
    probes = await startProbeServer({ ...config.http, registry, ready: () => running.every(([, role]) => role.isReady()) });
  } catch (error) {
    // A role that can't start (a port taken, say) must not leave the others running without probes:
    // an ingest that had joined its group went on consuming, never ready, until someone killed it.
    // Those already started stop as on SIGTERM (an ingest leaves its group at once); the caller
    // prints the one line and exits 1.
    await stopWithinGrace(running, config.shutdownGraceMs, logger);
    throw error;
  }
  // The heap budget the process was started with (src/cli/node-flags.mjs): the first thing to check when its memory surprises.
  logger.info(
    { roles: Object.keys(roles), probes: probes.url, heapLimitMb: Math.round(getHeapStatistics().heap_size_limit / 2 ** 20),
      tracing: traces.enabled ? `${config.tracing.exporter}, ${config.tracing.sampler.name}` : 'off',
      ...(encryption ? { payloadEncryption: encryption === 'off' ? 'off' : `AES-256-GCM, active key ${encryption.activeId}` } : {}) },
    'started',
  );

  const signal = await untilStopSignal();
  logger.info({ signal, graceMs: config.shutdownGraceMs }, 'shutting down');
  await stopWithinGrace(running, config.shutdownGraceMs, logger);
  await probes.close();
  await traces.shutdown();
  await options.onStop?.();
  logger.info('stopped');
  logger.flush();
  // Abandoned work may still hold sockets or timers open; the process is done either way.
  process.exit(0);
}

/** Stops the roles, last started first, abandoning what is still in flight once the grace is over. */
async function stopWithinGrace(running: [string, RunningRole][], graceMs: number, logger: Logger): Promise<void> {
  const stopped = Promise.all([...running].reverse().map(([, role]) => role.stop())).then(() => 'stopped' as const);
  const grace = new Promise<'grace expired'>((resolve) => setTimeout(() => resolve('grace expired'), graceMs).unref());
  const outcome = await Promise.race([stopped, grace]);
  if (outcome === 'grace expired') logger.warn('shutdown grace expired: abandoning in-flight work, uncommitted');
}

// Each role loads its code when it starts: `oms ingest` never loads the worker SDK, which saves a
// restarted ingest a third of a second before it can take its partitions back.
const ingestRole: Role = {
  temporalPayloads: true,
  needs: ingestNeeds,
  start: async (config, logger, registry) => (await import('../service/ingest.ts')).startIngest(config, logger, registry),
};
const workerRole = (groups: WorkerGroup[]): Role => ({
  temporalPayloads: true,
  needs: (config) => workerNeeds(config, groups),
  start: async (config, logger, registry) => {
    const workers = await (await import('../service/worker.ts')).startWorkers(config, logger, groups, registry);
    return { isReady: () => workers.isReady(), stop: () => workers.shutdown() };
  },
});

const codecServerRole: Role = {
  temporalPayloads: true,
  needs: (config) => [
    ['CODEC_SERVER_TOKENS', config.codecServer.tokens],
    ['CODEC_SERVER_UI_ORIGINS', config.codecServer.uiOrigins],
  ],
  start: async (config, logger) => {
    const { payloadCodec, payloadEncryption } = await import('../temporal/factory.ts');
    const encryption = payloadEncryption(config);
    if (encryption === 'off') throw new ConfigError('invalid configuration: TEMPORAL_ENCRYPTION: the codec server needs the key ring, but encryption is off');
    const { startCodecServer } = await import('../service/codec-server.ts');
    const server = await startCodecServer({
      codec: payloadCodec(encryption),
      tokens: config.codecServer.tokens!,
      uiOrigins: config.codecServer.uiOrigins!,
      host: config.codecServer.host,
      port: config.codecServer.port,
      logger: logger.child({ role: 'codec-server' }),
    });
    return { isReady: () => true, stop: () => server.close() };
  },
};

const gatewayRole: Role = {
  temporalPayloads: false,
  needs: gatewayNeeds,
  start: async (config, logger, registry) => (await import('../service/gateway.ts')).startGateway(config, logger, registry),
};

export function registerRoleCommands(program: Command, devTooling: DevTooling | undefined): void {
  program
    .command('start')
    .description('Run every role in one process: ingest, workers for all task queues, the gateway when GATEWAY_SECRETS(_FILE) is set, /healthz, /readyz, /metrics. In a checkout with no endpoints configured, first starts the local stack and the stand-ins')
    .action(async () => {
      // Only on a developer's machine: the image has no dev tooling, and OMS_LOCAL_STACK=off turns it off.
      const local = loadConfig(process.env).localStack === 'auto' ? devTooling : undefined;
      const dependencies = (await local?.startLocalDependencies(process.env, (line) => console.error(`[start] ${line}`))) ?? { env: {}, close: async () => undefined };
      const env = { ...process.env, ...dependencies.env };
      if (Object.keys(dependencies.env).length > 0) console.error('[start] the local stack stays up after oms start stops; `oms dev down` stops it');
      // Locally, the codec server too, so the local Temporal UI shows payloads decrypted.
      const roles: Record<string, Role> = { worker: workerRole([...WORKER_GROUPS]), ingest: ingestRole };
      if (dependencies.env.CODEC_SERVER_TOKENS) roles['codec-server'] = codecServerRole;
      // The gateway where webhook secrets are configured (locally, the dev secrets): without them it has nothing to accept.
      if (env.GATEWAY_SECRETS || env.GATEWAY_SECRETS_FILE) roles.gateway = gatewayRole;
      await runRoles(roles, { env, onStop: () => dependencies.close() });
    });

  program
    .command('codec-server')
    .description('Serve /encode and /decode for the Temporal UI and `temporal --codec-endpoint`, on CODEC_SERVER_HOST:CODEC_SERVER_PORT (127.0.0.1:8234)')
    .action(() => runRoles({ 'codec-server': codecServerRole }));

  program
    .command('gateway')
    .description('Accept signed webhooks on GATEWAY_HOST:GATEWAY_PORT (127.0.0.1:8235) and write them to the inbound topics, answering 202 once Kafka has them')
    .action(() => runRoles({ gateway: gatewayRole }));

  program
    .command('ingest')
    .description('Consume the inbound topics and signal-with-start the order workflows')
    .action(() => runRoles({ ingest: ingestRole }));

  program
    .command('worker')
    .description('Run Temporal workers: workflows and activity groups, each on its task queue')
    .option('--queues <groups>', `comma-separated groups to run (${WORKER_GROUPS.join(', ')}); default: all`)
    .action((options: { queues?: string }) => runRoles({ worker: workerRole(parseWorkerGroups(options.queues)) }));
}

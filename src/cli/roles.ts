import type { Command } from 'commander';
import { Registry } from 'prom-client';
import { loadConfig, type Config } from '../config/config.ts';
import { startProbeServer } from '../observability/http.ts';
import { createLogger, type Logger } from '../observability/logger.ts';
import { withDefaultMetrics } from '../observability/metrics.ts';
import { startIngest } from '../service/ingest.ts';
import { startLocalDependencies, startStandins } from '../service/local.ts';
import { parseWorkerGroups, startWorkers, WORKER_GROUPS, type WorkerGroup } from '../service/worker.ts';

export interface RunningRole {
  isReady(): boolean;
  stop(): Promise<void>;
}

type StartRole = (config: Config, logger: Logger, registry: Registry) => Promise<RunningRole>;

/**
 * Runs long-lived roles until SIGTERM or SIGINT, with /healthz, /readyz and /metrics. On the signal
 * it stops every role, bounded by SHUTDOWN_GRACE_MS: whatever is still in flight then is abandoned
 * uncommitted (Kafka redelivers it, the workflows deduplicate it), and the process exits 0.
 */
export async function runRoles(roles: Record<string, StartRole>, options: { env?: NodeJS.ProcessEnv; onStop?: () => Promise<void> } = {}): Promise<void> {
  const config = loadConfig(options.env);
  const logger = createLogger(config.log);
  const registry = withDefaultMetrics(new Registry());
  const running: [string, RunningRole][] = [];
  for (const [name, start] of Object.entries(roles)) running.push([name, await start(config, logger, registry)]);
  const probes = await startProbeServer({ ...config.http, registry, ready: () => running.every(([, role]) => role.isReady()) });
  logger.info({ roles: Object.keys(roles), probes: probes.url }, 'started');

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  logger.info({ signal, graceMs: config.shutdownGraceMs }, 'shutting down');
  const stopped = Promise.all(running.reverse().map(([, role]) => role.stop())).then(() => 'stopped' as const);
  const grace = new Promise<'grace expired'>((resolve) => setTimeout(() => resolve('grace expired'), config.shutdownGraceMs).unref());
  const outcome = await Promise.race([stopped, grace]);
  if (outcome === 'grace expired') logger.warn('shutdown grace expired: abandoning in-flight work, uncommitted');
  await probes.close();
  await options.onStop?.();
  logger.info('stopped');
  logger.flush();
  // Abandoned work may still hold sockets or timers open; the process is done either way.
  process.exit(0);
}

const startIngestRole: StartRole = (config, logger, registry) => startIngest(config, logger, registry);
const startWorkerRole =
  (groups: WorkerGroup[]): StartRole =>
  async (config, logger) => {
    const workers = await startWorkers(config, logger, groups);
    return { isReady: () => workers.isReady(), stop: () => workers.shutdown() };
  };

export function registerRoleCommands(program: Command): void {
  program
    .command('start')
    .description('Run every role in one process: ingest, workers for all task queues, /healthz, /readyz, /metrics. With no endpoints configured, first starts the local stack and the stand-ins')
    .action(async () => {
      const local = await startLocalDependencies(process.env, (line) => console.error(`[start] ${line}`));
      const env = { ...process.env, ...local.env };
      if (Object.keys(local.env).length > 0) console.error('[start] the local stack stays up after oms start stops; `oms dev down` stops it');
      await runRoles({ worker: startWorkerRole([...WORKER_GROUPS]), ingest: startIngestRole }, { env, onStop: () => local.close() });
    });

  program
    .command('standins')
    .description('Run the storefront and payment-provider stand-ins (for demos and the docker compose system)')
    .action(async () => {
      const standins = await startStandins(process.env);
      console.error(`[standins] storefront ${standins.storefrontUrl}, payment provider ${standins.paymentProviderUrl}`);
      await new Promise((resolve) => {
        process.once('SIGTERM', resolve);
        process.once('SIGINT', resolve);
      });
      await standins.close();
    });

  program
    .command('ingest')
    .description('Consume the inbound topics and signal-with-start the order workflows')
    .action(() => runRoles({ ingest: startIngestRole }));

  program
    .command('worker')
    .description('Run Temporal workers: workflows and activity groups, each on its task queue')
    .option('--queues <groups>', `comma-separated groups to run (${WORKER_GROUPS.join(', ')}); default: all`)
    .action((options: { queues?: string }) => runRoles({ worker: startWorkerRole(parseWorkerGroups(options.queues)) }));
}

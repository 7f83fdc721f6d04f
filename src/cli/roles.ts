import type { Command } from 'commander';
import { Registry } from 'prom-client';
import { loadConfig, type Config } from '../config/config.ts';
import { startProbeServer } from '../observability/http.ts';
import { createLogger, type Logger } from '../observability/logger.ts';
import { withDefaultMetrics } from '../observability/metrics.ts';
import { startIngest } from '../service/ingest.ts';
import { parseWorkerGroups, startWorkers, WORKER_GROUPS } from '../service/worker.ts';

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
export async function runRoles(roles: Record<string, StartRole>): Promise<void> {
  const config = loadConfig();
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
  logger.info('stopped');
  logger.flush();
  // Abandoned work may still hold sockets or timers open; the process is done either way.
  process.exit(0);
}

export function registerRoleCommands(program: Command): void {
  program
    .command('ingest')
    .description('Consume the inbound topics and signal-with-start the order workflows')
    .action(() => runRoles({ ingest: (config, logger, registry) => startIngest(config, logger, registry) }));

  program
    .command('worker')
    .description('Run Temporal workers: workflows and activity groups, each on its task queue')
    .option('--queues <groups>', `comma-separated groups to run (${WORKER_GROUPS.join(', ')}); default: all`)
    .action((options: { queues?: string }) => {
      const groups = parseWorkerGroups(options.queues);
      return runRoles({
        worker: async (config, logger) => {
          const workers = await startWorkers(config, logger, groups);
          return { isReady: () => workers.isReady(), stop: () => workers.shutdown() };
        },
      });
    });
}

import type { Command } from 'commander';
import { loadConfig } from '../config/config.ts';
import { createLogger } from '../observability/logger.ts';
import { parseEdge } from '../replay/range.ts';
import type { ReplaySummary } from '../replay/replay.ts';
import { untilStopSignal } from './stop-signal.ts';

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Ctrl-C stops an operator command between events: what was reprocessed stays reprocessed. */
function interruptible(): AbortSignal {
  const controller = new AbortController();
  void untilStopSignal().then((signal) => controller.abort(new Error(signal === 'SIGINT' ? 'interrupted' : 'terminated')));
  return controller.signal;
}

// Each command loads its code when it runs, so that `oms` itself starts fast (the roles most of all).
const replayCode = () => import('../replay/replay.ts');
const operatorTools = async () => (await import('../service/operate.ts')).createOperatorTools;

async function finish(summary: ReplaySummary, dryRun = false): Promise<void> {
  if (dryRun) for (const line of summary.plan) console.log(line);
  console.log((await replayCode()).formatSummary(summary, dryRun));
  if (summary.failed > 0) process.exitCode = 2;
}

export function registerOperatorCommands(program: Command): void {
  program
    .command('status')
    .description('Show task queues (pollers, backlog, orphaned), the roles seen, ingest consumer lag and DLQ depth; exits 2 when a queue is orphaned')
    .option('--json', 'print the status as JSON')
    .action(async (options: { json?: boolean }) => {
      const config = loadConfig();
      const { readServiceStatus, formatServiceStatus } = await import('../service/status.ts');
      const status = await readServiceStatus(config, createLogger({ ...config.log, level: 'warn' }));
      console.log(options.json ? JSON.stringify(status, null, 2) : formatServiceStatus(status));
      if (status.queues.some((queue) => queue.state === 'orphaned')) process.exitCode = 2;
    });

  program
    .command('replay')
    .description('Re-submit a range of an inbound topic through the router in reprocess mode')
    .requiredOption('--topic <topic>', 'inbound topic to replay')
    .requiredOption('--from <edge>', 'start, inclusive: ISO time or partition:offset')
    .option('--to <edge>', 'end, exclusive: ISO time or partition:offset (default: the end of the topic when replay starts)')
    .option('--order <id>', 'only this order (repeatable)', collect)
    .option('--type <event type>', 'only this event type (repeatable)', collect)
    .option('--dry-run', 'read and filter the same, print what would be done, change nothing')
    .action(async (options: { topic: string; from: string; to?: string; order?: string[]; type?: string[]; dryRun?: boolean }) => {
      const request = {
        topic: options.topic,
        from: parseEdge(options.from, '--from'),
        to: options.to === undefined ? undefined : parseEdge(options.to, '--to'),
        orders: options.order,
        types: options.type,
        dryRun: options.dryRun ?? false,
      };
      const config = loadConfig();
      const tools = await (await operatorTools())(config, createLogger({ ...config.log, level: 'warn' }), 'report');
      try {
        await finish(await (await replayCode()).replayTopic(tools, request, interruptible()), request.dryRun);
      } finally {
        await tools.close();
      }
    });

  program
    .command('redrive')
    .description('Send dead-lettered events back through the router; those that fail again stay on the DLQ with the new reason')
    .requiredOption('--dlq <topic>', 'the dead-letter topic, <topic>.dlq')
    .option('--from <edge>', 'start, inclusive: ISO time or partition:offset (default: the beginning)')
    .option('--to <edge>', 'end, exclusive: ISO time or partition:offset (default: the end when re-drive starts)')
    .action(async (options: { dlq: string; from?: string; to?: string }) => {
      const from = parseEdge(options.from ?? new Date(0).toISOString(), '--from');
      const to = options.to === undefined ? undefined : parseEdge(options.to, '--to');
      const config = loadConfig();
      const tools = await (await operatorTools())(config, createLogger({ ...config.log, level: 'warn' }), 'dead-letter');
      try {
        await finish(await (await replayCode()).redrive(tools, { dlq: options.dlq, from, to }, interruptible()));
      } finally {
        await tools.close();
      }
    });

  program
    .command('offsets')
    .description('Consumer group offsets')
    .command('reset')
    .description('Move a stopped consumer group to a point in time; refuses while the group has members')
    .requiredOption('--group <group>', 'consumer group id')
    .requiredOption('--to <time>', 'ISO time: each partition moves to its first message at or after it')
    .option('--topic <topic>', 'only this topic (repeatable; default: every topic the group has offsets for)', collect)
    .action(async (options: { group: string; to: string; topic?: string[] }) => {
      const edge = parseEdge(options.to, '--to');
      if (edge.kind !== 'time') throw new Error('--to: expected an ISO time');
      const config = loadConfig();
      const { createKafka } = await import('../kafka/client.ts');
      const { resetGroupOffsets } = await import('../replay/offsets-reset.ts');
      const admin = createKafka(config, 'operator', createLogger({ ...config.log, level: 'warn' })).admin();
      await admin.connect();
      try {
        for (const position of await resetGroupOffsets(admin, options.group, edge.ms, options.topic)) {
          console.log(`${options.group} ${position.topic}:${position.partition} -> ${position.offset}`);
        }
      } finally {
        await admin.disconnect();
      }
    });
}

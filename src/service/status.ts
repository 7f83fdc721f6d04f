import type { Config } from '../config/config.ts';
import { dlqTopicFor } from '../ingest/dead-letter.ts';
import type { Logger } from '../observability/logger.ts';
import { createTemporalClient, temporalSettings } from '../temporal/factory.ts';
import { describeTaskQueue, type TaskQueueHealth } from '../temporal/task-queue-health.ts';
import { inboundTopics } from './ingest.ts';
import { createKafka, topicDepth } from '../kafka/client.ts';

export interface ServiceStatus {
  orphanedAfterSeconds: number;
  queues: (TaskQueueHealth & { state: 'ok' | 'idle' | 'waiting' | 'orphaned' })[];
  ingest: { groupId: string; state: string; members: { clientId: string; host: string }[]; lag: { topic: string; lag: number }[] };
  dlq: { topic: string; depth: number }[];
}

/**
 * What `oms status` shows, read from Temporal and Kafka rather than from the roles: so it also sees a
 * queue no worker serves, and roles that are gone. Queue states: ok (polled), idle (no work, no
 * worker), waiting (work, no worker, not yet TASK_QUEUE_ORPHANED_AFTER_S), orphaned.
 */
export async function readServiceStatus(config: Config, logger: Logger): Promise<ServiceStatus> {
  const temporal = await createTemporalClient(temporalSettings(config));
  const kafka = createKafka(config, 'status', logger);
  const admin = kafka.admin();
  await admin.connect();
  try {
    const orphanedAfterMs = config.health.orphanedAfterMs;
    const targets = [
      { taskQueue: config.taskQueues.orders, type: 'workflow' as const },
      ...Object.values(config.taskQueues.activities).map((taskQueue) => ({ taskQueue, type: 'activity' as const })),
    ];
    const queues = await Promise.all(
      targets.map(async ({ taskQueue, type }) => {
        const health = await describeTaskQueue(temporal, taskQueue, type, orphanedAfterMs);
        const state = health.orphaned ? 'orphaned' : health.pollers.length > 0 ? 'ok' : health.backlog > 0 ? 'waiting' : 'idle';
        return { ...health, state } as const;
      }),
    );

    const groupId = config.ingest.groupId;
    const topics = inboundTopics(config);
    const [{ groups }, committed, ends, dlq] = await Promise.all([
      admin.describeGroups([groupId]),
      admin.fetchOffsets({ groupId, topics }),
      Promise.all(topics.map(async (topic) => [topic, await admin.fetchTopicOffsets(topic).catch(() => [])] as const)),
      Promise.all(topics.map(async (topic) => ({ topic: dlqTopicFor(topic), depth: await topicDepth(admin, dlqTopicFor(topic)) }))),
    ]);
    const lag = ends.map(([topic, partitions]) => {
      const positions = committed.find((entry) => entry.topic === topic)?.partitions ?? [];
      const behind = partitions.reduce((sum, partition) => {
        const at = BigInt(positions.find((position) => position.partition === partition.partition)?.offset ?? '-1');
        // Never committed: everything from the start of the partition is still to read.
        return sum + (BigInt(partition.high) - (at < 0n ? BigInt(partition.low) : at));
      }, 0n);
      return { topic, lag: Number(behind) };
    });
    const group = groups[0];
    return {
      orphanedAfterSeconds: orphanedAfterMs / 1_000,
      queues,
      ingest: { groupId, state: group?.state ?? 'Unknown', members: (group?.members ?? []).map((member) => ({ clientId: member.clientId, host: member.clientHost })), lag },
      dlq,
    };
  } finally {
    await admin.disconnect();
    await temporal.connection.close();
  }
}

/** The status as a person reads it: one table each for queues, roles, lag and dead letters. */
export function formatServiceStatus(status: ServiceStatus): string {
  const table = (rows: string[][]) => {
    const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
    return rows.map((row) => `  ${row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ')}`.trimEnd()).join('\n');
  };
  const queueRows = status.queues.map((queue) => [
    queue.taskQueue,
    queue.type,
    String(queue.pollers.length),
    String(queue.backlog),
    `${Math.round(queue.backlogAgeSeconds)}s`,
    queue.addRate.toFixed(1),
    queue.dispatchRate.toFixed(1),
    queue.state === 'orphaned' ? 'ORPHANED' : queue.state,
  ]);
  const workers = [...new Set(status.queues.flatMap((queue) => queue.pollers))].map((identity) => [
    identity,
    status.queues.filter((queue) => queue.pollers.includes(identity)).map((queue) => queue.taskQueue).join(', '),
  ]);
  return [
    `Task queues (orphaned: tasks waiting ${status.orphanedAfterSeconds} s or more with no worker polling)`,
    table([['QUEUE', 'TYPE', 'POLLERS', 'BACKLOG', 'OLDEST', 'ADD/S', 'DISPATCH/S', 'STATE'], ...queueRows]),
    '',
    'Roles seen',
    workers.length > 0 ? table([['WORKER', 'POLLING'], ...workers]) : '  no worker polling',
    `  ingest group ${status.ingest.groupId} (${status.ingest.state}): ${status.ingest.members.length} member(s)${status.ingest.members.map((member) => `\n    ${member.clientId} ${member.host}`).join('')}`,
    '',
    'Ingest consumer lag',
    table([['TOPIC', 'LAG'], ...status.ingest.lag.map((entry) => [entry.topic, String(entry.lag)])]),
    '',
    'Dead letters',
    table([['DLQ', 'DEPTH'], ...status.dlq.map((entry) => [entry.topic, String(entry.depth)])]),
  ].join('\n');
}

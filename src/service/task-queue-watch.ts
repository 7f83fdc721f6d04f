import type { Client } from '@temporalio/client';
import type { Logger } from '../observability/logger.ts';
import type { TaskQueueMetrics } from '../observability/metrics.ts';
import { pollEvery } from './poll.ts';
import { describeTaskQueue, type TaskQueueRole } from '../temporal/task-queue-health.ts';

export interface WatchedQueue {
  taskQueue: string;
  type: TaskQueueRole;
}

/**
 * Reads each queue's health every `intervalMs` into the role's metrics, and says once in the log when
 * a queue becomes orphaned (and when it is served again). A failed read leaves the last figures.
 */
export function watchTaskQueues(client: Client, queues: WatchedQueue[], metrics: TaskQueueMetrics, options: { intervalMs: number; orphanedAfterMs: number; logger: Logger }): { stop(): void } {
  const orphaned = new Set<string>();
  const read = async () => {
    for (const { taskQueue, type } of queues) {
      try {
        const health = await describeTaskQueue(client, taskQueue, type, options.orphanedAfterMs);
        const labels = { task_queue: taskQueue, type };
        metrics.backlog.set(labels, health.backlog);
        metrics.backlogAge.set(labels, health.backlogAgeSeconds);
        metrics.pollers.set(labels, health.pollers.length);
        metrics.addRate.set(labels, health.addRate);
        metrics.dispatchRate.set(labels, health.dispatchRate);
        metrics.orphaned.set(labels, health.orphaned ? 1 : 0);
        if (health.orphaned && !orphaned.has(taskQueue)) options.logger.warn({ taskQueue, backlog: health.backlog, backlogAgeSeconds: Math.round(health.backlogAgeSeconds) }, 'task queue orphaned: tasks wait and no worker polls it');
        if (!health.orphaned && orphaned.has(taskQueue)) options.logger.info({ taskQueue }, 'task queue served again');
        if (health.orphaned) orphaned.add(taskQueue);
        else orphaned.delete(taskQueue);
      } catch (error) {
        options.logger.debug({ taskQueue, error: (error as Error).message }, 'could not read task queue health');
      }
    }
  };
  return pollEvery(options.intervalMs, read);
}

import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';

const { TaskQueueKind, TaskQueueType } = proto.temporal.api.enums.v1;

export type TaskQueueRole = 'workflow' | 'activity';

export interface TaskQueueHealth {
  taskQueue: string;
  type: TaskQueueRole;
  /** Workers that polled recently (see POLLER_FRESH_MS), by their identity (`pid@host`). */
  pollers: string[];
  /** Temporal's approximate count of tasks waiting, and how long the oldest has waited. */
  backlog: number;
  backlogAgeSeconds: number;
  addRate: number;
  dispatchRate: number;
  /** Tasks waiting, nobody polling, for longer than the caller's threshold: work nobody will do. */
  orphaned: boolean;
}

/**
 * Temporal lists every poller of the last minutes; a live one polls again at least once a long-poll
 * (about a minute), so one not seen for longer than this has gone.
 */
const POLLER_FRESH_MS = 90_000;

type Int64 = number | { toNumber(): number } | null | undefined;
const toNumber = (value: Int64) => (value === null || value === undefined ? 0 : typeof value === 'number' ? value : value.toNumber());
const seconds = (duration: { seconds?: Int64; nanos?: number | null } | null | undefined) => (duration ? toNumber(duration.seconds) + (duration.nanos ?? 0) / 1e9 : 0);

/**
 * One queue's health from DescribeTaskQueue with `reportStats` (the stats the deprecated ENHANCED mode
 * gave, now in the default mode). Orphaned: a backlog whose oldest task has waited `orphanedAfterMs`
 * with no poller; the oldest task's age makes that a one-shot question, for `oms status` as for metrics.
 */
export async function describeTaskQueue(client: Client, taskQueue: string, type: TaskQueueRole, orphanedAfterMs: number): Promise<TaskQueueHealth> {
  const response = await client.workflowService.describeTaskQueue({
    namespace: client.options.namespace,
    taskQueue: { name: taskQueue, kind: TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
    taskQueueType: type === 'workflow' ? TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW : TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
    reportStats: true,
  });
  const now = Date.now();
  const pollers = (response.pollers ?? [])
    .filter((poller) => now - seconds(poller.lastAccessTime) * 1_000 <= POLLER_FRESH_MS)
    .map((poller) => poller.identity ?? 'unknown');
  const stats = response.stats;
  const backlog = toNumber(stats?.approximateBacklogCount);
  const backlogAgeSeconds = seconds(stats?.approximateBacklogAge);
  return {
    taskQueue,
    type,
    pollers,
    backlog,
    backlogAgeSeconds,
    addRate: stats?.tasksAddRate ?? 0,
    dispatchRate: stats?.tasksDispatchRate ?? 0,
    orphaned: backlog > 0 && pollers.length === 0 && backlogAgeSeconds * 1_000 >= orphanedAfterMs,
  };
}

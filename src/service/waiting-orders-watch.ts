import type { Client } from '@temporalio/client';
import { ORDER_STAGE_ATTRIBUTE, ORDER_WORKFLOW, WAITING_STAGES } from '../contract/workflows.ts';
import type { Logger } from '../observability/logger.ts';
import type { OrderMetrics } from '../observability/metrics.ts';
import { pollEvery } from './poll.ts';

/** The visibility query for the running orders of this deployment (its orders queue) waiting in `stage`. */
export const waitingQuery = (ordersQueue: string, stage: string) =>
  `WorkflowType = '${ORDER_WORKFLOW}' AND ExecutionStatus = 'Running' AND TaskQueue = '${ordersQueue}' AND ${ORDER_STAGE_ATTRIBUTE.name} = '${stage}'`;

/**
 * Counts the orders waiting in each long stage from Temporal's visibility store, which every worker
 * instance sees alike: one count request per stage and interval. A failed count leaves the last figure.
 */
export function watchWaitingOrders(client: Client, ordersQueue: string, gauge: OrderMetrics['waiting'], options: { intervalMs: number; logger: Logger }): { stop(): void } {
  return pollEvery(options.intervalMs, async () => {
    for (const stage of WAITING_STAGES) {
      try {
        gauge.set({ stage }, (await client.workflow.count(waitingQuery(ordersQueue, stage))).count);
      } catch (error) {
        options.logger.debug({ stage, error: (error as Error).message }, 'could not count the waiting orders');
      }
    }
  });
}

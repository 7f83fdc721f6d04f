import type { Client } from '@temporalio/client';
import { orderWorkflowId, paymentWorkflowId } from '../../src/contract/workflows.ts';
import { addCosts, medianCost, workflowCost, type WorkflowCost } from '../support/workflow-cost.ts';

/**
 * Issue 28's targets for the happy path of an order with its payment (both workflows together), and
 * what main measured before any cut (one `oms demo` run, medians per workflow).
 */
export const COST_TARGETS = {
  labels: { historyEvents: 'history events', workflowTasks: 'workflow tasks', activities: 'activities', signals: 'signals', timers: 'timers', markers: 'markers', cloudActions: 'Temporal Cloud actions' },
  total: { historyEvents: { value: 50, before: 78 }, workflowTasks: { value: 8, before: 12 } } as Partial<Record<keyof WorkflowCost, { value: number; before: number }>>,
};

/** The median cost of the orders' order and payment workflows, each and together. */
export async function orderCost(client: Client, orderIds: string[]): Promise<{ order: WorkflowCost; payment: WorkflowCost; total: WorkflowCost }> {
  const pairs = await Promise.all(orderIds.map(async (orderId) => [await workflowCost(client, orderWorkflowId(orderId)), await workflowCost(client, paymentWorkflowId(orderId))] as const));
  return { order: medianCost(pairs.map(([order]) => order)), payment: medianCost(pairs.map(([, payment]) => payment)), total: medianCost(pairs.map(([order, payment]) => addCosts(order, payment))) };
}

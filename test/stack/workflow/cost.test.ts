import proto from '@temporalio/proto';
import { afterAll, beforeAll, expect, test, vi } from 'vitest';
import { orderWorkflowId, paymentWorkflowId } from '../../../src/contract/workflows.ts';
import { orderEvent, paymentEventFor, toRecord } from '../../../src/dev/standins/events.ts';
import { startTestService, type TestService } from '../../support/service.ts';
import { workflowCost } from '../../support/workflow-cost.ts';

/**
 * What one order costs the Temporal server, pinned: a change that adds work to every order changes
 * these counts, and so is seen in review (`npm run bench -- --only cost` reports them under load).
 * The arrival order is fixed, so the counts are exact: the order first, its payment once the order
 * waits for it (a payment arriving while an activity runs would share a workflow task instead). The
 * wait is read from the history, not queried: a query that comes while local activities run costs
 * the run a workflow task.
 */
let local: TestService;
let remote: TestService;
beforeAll(async () => {
  // The default: one worker runs the workflows and every group, which they call as local activities.
  local = await startTestService();
  // Every group on its task queue, as when the groups run in workers of their own.
  remote = await startTestService({ env: { WORKER_LOCAL_ACTIVITIES: 'false' } });
});
afterAll(async () => {
  await local?.stop();
  await remote?.stop();
});

const TIMER_STARTED = proto.temporal.api.enums.v1.EventType.EVENT_TYPE_TIMER_STARTED;

async function oneOrder(service: TestService, label: string) {
  const orderId = service.orderId(label);
  const order = service.temporal.workflow.getHandle(orderWorkflowId(orderId));
  await service.produce(service.config.topics.orderEvents, [toRecord(orderEvent('order.created', orderId))]);
  // The order waits for its payment once it has started the payment timer.
  await vi.waitFor(async () => expect((await order.fetchHistory().catch(() => ({ events: [] }))).events?.some((event) => event.eventType === TIMER_STARTED)).toBe(true), { timeout: 60_000, interval: 100 });
  await service.produce(service.config.topics.paymentEvents, [toRecord(paymentEventFor('payment.authorized', orderId, `PAY-${orderId}`))]);
  await order.result();
  await service.temporal.workflow.getHandle(paymentWorkflowId(orderId)).result();
  const costs = { order: await workflowCost(service.temporal, orderWorkflowId(orderId)), payment: await workflowCost(service.temporal, paymentWorkflowId(orderId)) };
  console.log(`[figures] cost of one order (${label}): order workflow ${JSON.stringify(costs.order)}; payment workflow ${JSON.stringify(costs.payment)}`);
  return costs;
}

test('the happy path at the defaults (local activities): history events, workflow tasks, activities, signals, timers, markers and Cloud actions of each workflow', async () => {
  const { order, payment } = await oneOrder(local, 'cost-local');
  // v2 was 58 + 20 events, 9 + 3 workflow tasks, 7 + 2 activities, 11 + 4 Cloud actions (issue 28's table); v3 44 + 14, 7 + 2, 5 + 1, 9 + 3.
  // The second timer is the 1 ms one the run closes after, in a workflow task of its own (closeAfterLocalSteps).
  // v4 was 25 events and 7 actions; v5 adds the stage attribute's two upserts (set on waiting for payment, unset after), no workflow task.
  expect(order).toEqual({ historyEvents: 27, workflowTasks: 3, activities: 0, signals: 2, timers: 2, markers: 7, cloudActions: 9 });
  expect(payment).toEqual({ historyEvents: 10, workflowTasks: 1, activities: 0, signals: 1, timers: 0, markers: 3, cloudActions: 3 });
});

test('the happy path with every group on its task queue (WORKER_LOCAL_ACTIVITIES=false): v3 plus the one marker of the question', async () => {
  const { order, payment } = await oneOrder(remote, 'cost-remote');
  expect(order).toEqual({ historyEvents: 47, workflowTasks: 7, activities: 5, signals: 2, timers: 1, markers: 2, cloudActions: 12 });
  expect(payment).toEqual({ historyEvents: 15, workflowTasks: 2, activities: 1, signals: 1, timers: 0, markers: 2, cloudActions: 4 });
});

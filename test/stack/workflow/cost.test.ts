import { afterAll, beforeAll, expect, test, vi } from 'vitest';
import { orderWorkflowId, paymentWorkflowId } from '../../../src/contract/workflows.ts';
import { orderEvent, paymentEventFor, toRecord } from '../../../src/dev/standins/events.ts';
import { startTestService, type TestService } from '../../support/service.ts';
import { workflowCost } from '../../support/workflow-cost.ts';

/**
 * What one order costs the Temporal server, pinned: a change that adds work to every order changes
 * these counts, and so is seen in review (`npm run bench -- --only cost` reports them under load).
 * The arrival order is fixed, so the counts are exact: the order first, its payment once the order
 * waits for it (a payment arriving while an activity runs would share a workflow task instead).
 */
let service: TestService;
beforeAll(async () => {
  service = await startTestService();
});
afterAll(async () => {
  await service?.stop();
});

test('the happy path of an order and its payment: history events, workflow tasks, activities, signals, timers, markers and Cloud actions of each workflow', async () => {
  const orderId = service.orderId('cost');
  await service.produce(service.config.topics.orderEvents, [toRecord(orderEvent('order.created', orderId))]);
  await vi.waitFor(async () => expect((await service.orderStatus(orderId)).stage).toBe('awaiting-payment'), { timeout: 60_000, interval: 100 });
  await service.produce(service.config.topics.paymentEvents, [toRecord(paymentEventFor('payment.authorized', orderId, `PAY-${orderId}`))]);
  await service.temporal.workflow.getHandle(orderWorkflowId(orderId)).result();
  await service.temporal.workflow.getHandle(paymentWorkflowId(orderId)).result();

  const order = await workflowCost(service.temporal, orderWorkflowId(orderId));
  const payment = await workflowCost(service.temporal, paymentWorkflowId(orderId));
  console.log(`[figures] cost of one order: order workflow ${JSON.stringify(order)}; payment workflow ${JSON.stringify(payment)}`);
  // v2 was 58 + 20 events, 9 + 3 workflow tasks, 7 + 2 activities, 11 + 4 Cloud actions (issue 28's table).
  expect(order).toEqual({ historyEvents: 44, workflowTasks: 7, activities: 5, signals: 2, timers: 1, markers: 1, cloudActions: 9 });
  expect(payment).toEqual({ historyEvents: 14, workflowTasks: 2, activities: 1, signals: 1, timers: 0, markers: 1, cloudActions: 3 });
});

import { ApplicationFailure } from '@temporalio/common';
import { activityInfo } from '@temporalio/activity';
import { expect, test } from 'vitest';
import { ACTIVITY_GROUPS, NOT_HOSTED, orderCancelled, orderStatusQuery, paymentValidated, paymentStatusQuery } from '../../src/contract/workflows.ts';
import { activityDoubles, startOrderWorkflow, startPaymentWorkflow, useTimeSkippingEnvironment, withWorker, type ActivityCall } from '../support/workflow-doubles.ts';

/**
 * v4: a run asks its worker once which activity groups it hosts, and calls those as local activities;
 * a group the worker stops hosting mid-run goes back to its task queue. Each run is queried after it
 * closed, which replays it from its history on the worker: a path that doesn't replay fails the query.
 */
const time = useTimeSkippingEnvironment();

type Handle = Awaited<ReturnType<typeof startOrderWorkflow>>['handle'];
const where = (calls: ActivityCall[]) => calls.map((call) => `${call.name}${call.local ? ' (local)' : ''}`);
const scheduled = async (handle: { fetchHistory(): Promise<{ events?: { activityTaskScheduledEventAttributes?: { activityType?: { name?: string | null } | null } | null }[] | null }> }) =>
  (await handle.fetchHistory()).events!.map((event) => event.activityTaskScheduledEventAttributes?.activityType?.name).filter((name) => name);
/** An order and its payment, run to completion. */
async function paidOrder(taskQueue: string): Promise<Handle> {
  const { handle } = await startOrderWorkflow(time.env, taskQueue);
  await handle.signal(paymentValidated, { eventId: 'evt-pay', type: 'payment.validated', paymentId: 'PAY-1', reference: 'ref-1', amount: 10 });
  expect((await handle.result()).stage).toBe('completed');
  return handle;
}

test('with every group hosted by its worker, an order runs every step as a local activity: no activity task on any queue', async () => {
  const { activities, calls } = activityDoubles();
  await withWorker(
    time.env,
    activities,
    async (taskQueue) => {
      const handle = await paidOrder(taskQueue);
      expect(where(calls)).toEqual(['validateOrder (local)', 'enrichOrder (local)', 'assessOrderRisk (local)', 'reserveInventory (local)', 'publishFulfillment (local)', 'publishOrderStatus (local)', 'notifyCustomer (local)']);
      expect(await scheduled(handle)).toEqual([]);
      expect((await handle.query(orderStatusQuery)).stage).toBe('completed');
    },
    [...ACTIVITY_GROUPS],
  );
});

test('with no group hosted, every step is an activity task on its queue, as before v4', async () => {
  const { activities, calls } = activityDoubles();
  await withWorker(time.env, activities, async (taskQueue) => {
    const handle = await paidOrder(taskQueue);
    expect(calls.filter((call) => call.local)).toEqual([]);
    expect(await scheduled(handle)).toEqual(['checkOrder', 'assessOrderRisk', 'reserveInventory', 'publishCompletion', 'notifyCustomer']);
  });
});

test('a group its worker stops hosting mid-run (answered NOT_HOSTED) goes to its task queue for the rest of the run, and the run replays', async () => {
  // The worker that took the run after the payment hosts no storefront: its local answer is NOT_HOSTED.
  const { activities, calls } = activityDoubles({
    reserveInventory: async ({ fulfillmentId }) => {
      if (activityInfo().isLocal) throw ApplicationFailure.nonRetryable('not run as a local activity by this worker', NOT_HOSTED);
      return { reservationId: fulfillmentId };
    },
  });
  await withWorker(
    time.env,
    activities,
    async (taskQueue) => {
      const handle = await paidOrder(taskQueue);
      expect(where(calls)).toEqual([
        'validateOrder (local)',
        'enrichOrder (local)',
        'assessOrderRisk (local)',
        'reserveInventory (local)',
        'reserveInventory',
        'publishFulfillment (local)',
        'publishOrderStatus (local)',
        'notifyCustomer (local)',
      ]);
      expect(await scheduled(handle)).toEqual(['reserveInventory']);
      expect((await handle.query(orderStatusQuery)).reservationId).toMatch(/^ful-/);
    },
    [...ACTIVITY_GROUPS],
  );
});

test('a signal that arrives while the last local steps run does not run them again: the run closes in a workflow task of its own', async () => {
  // The server refuses a task that closes the run while a signal waits; were publishing and notifying
  // in that task, its replay would publish and notify a second time.
  let handle: Handle | undefined;
  const { activities, calls } = activityDoubles({
    notifyCustomer: async () => {
      if (calls.filter((call) => call.name === 'notifyCustomer').length === 1) await handle!.signal(orderCancelled, { eventId: 'evt-late-cancel', type: 'order.cancelled', reason: 'too late' });
    },
  });
  await withWorker(
    time.env,
    activities,
    async (taskQueue) => {
      ({ handle } = await startOrderWorkflow(time.env, taskQueue));
      await handle.signal(paymentValidated, { eventId: 'evt-pay', type: 'payment.validated', paymentId: 'PAY-1', reference: 'ref-1', amount: 10 });
      expect((await handle.result()).stage).toBe('completed');
      expect(calls.filter((call) => call.name === 'publishFulfillment')).toHaveLength(1);
      expect(calls.filter((call) => call.name === 'notifyCustomer')).toHaveLength(1);
      // The cancellation is seen in the closing task, after the fulfilment: recorded, not compensated.
      expect((await handle.query(orderStatusQuery)).history.at(-1)).toMatchObject({ step: 'cancel', outcome: 'skipped' });
    },
    [...ACTIVITY_GROUPS],
  );
});

test('a payment confirmed by a local activity is reported to its order from it; polling stays on the payment queue', async () => {
  const { activities, calls } = activityDoubles({ getPaymentStatus: async () => ({ status: 'pending', amount: 10 }) });
  await withWorker(
    time.env,
    activities,
    async (taskQueue) => {
      const { handle } = await startPaymentWorkflow(time.env, taskQueue, { eventId: 'evt-pending', type: 'payment.pending', paymentId: 'PAY-1', amount: 10, currency: 'EUR' });
      expect((await handle.result()).status).toBe('validated');
      expect(where(calls)).toEqual(['getPaymentStatus (local)', 'awaitPaymentSettled', 'reportPaymentToOrder (local)']);
      expect((await handle.query(paymentStatusQuery)).status).toBe('validated');
    },
    ['payment'],
  );
});

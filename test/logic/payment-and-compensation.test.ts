import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { expect, test } from 'vitest';
import type { PaymentReport } from '../../src/activity/payment/activities.ts';
import { orderCancelled, orderStatusQuery, paymentValidated } from '../../src/contract/workflows.ts';
import { activityDoubles, permanent, startOrderWorkflow, startPaymentWorkflow, useTimeSkippingEnvironment, withWorker, type ActivityCall } from '../support/workflow-doubles.ts';

const time = useTimeSkippingEnvironment();

const names = (calls: ActivityCall[]) => calls.map((call) => call.name);

/** When (on the workflow's skipped clock) the first activity of this type was scheduled. */
async function workflowTimeOf(handle: { fetchHistory(): Promise<{ events?: { eventTime?: { seconds?: unknown; nanos?: number | null } | null; activityTaskScheduledEventAttributes?: { activityType?: { name?: string | null } | null } | null }[] | null }> }, activity: string): Promise<number> {
  const event = (await handle.fetchHistory()).events!.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === activity)!;
  return Number(event.eventTime!.seconds) * 1_000 + Math.round((event.eventTime!.nanos ?? 0) / 1e6);
}

test('a payment still pending when the default poll window (15 min) closes is reported to the order as failed', async () => {
  const { activities, calls } = activityDoubles({
    getPaymentStatus: async () => ({ status: 'pending', amount: 10 }),
    awaitPaymentSettled: async () => {
      throw ApplicationFailure.retryable('still pending', 'PaymentPending');
    },
  });
  await withWorker(time.env, activities, async (taskQueue) => {
    const { orderId, input, handle } = await startPaymentWorkflow(time.env, taskQueue, { eventId: 'evt-pending', type: 'payment.pending', paymentId: 'PAY-1', amount: 10, currency: 'EUR' });
    const view = await handle.result();
    expect(view.status).toBe('failed');
    // Temporal gives up as soon as the next retry (backoff up to a minute) would land past the window.
    const elapsedMs = (await workflowTimeOf(handle, 'reportPaymentToOrder')) - (await handle.describe()).startTime.getTime();
    expect(elapsedMs).toBeGreaterThanOrEqual(input.pollTimeoutMs - 60_000);
    expect(elapsedMs).toBeLessThanOrEqual(input.pollTimeoutMs + 60_000);
    expect(input.pollTimeoutMs).toBe(15 * 60_000);
    // Polling backs off to once a minute: a quarter of an hour of it is a bounded number of checks.
    const polls = names(calls).filter((name) => name === 'awaitPaymentSettled').length;
    expect(polls).toBeGreaterThan(5);
    expect(polls).toBeLessThan(30);
    const report = calls.find((call) => call.name === 'reportPaymentToOrder')!.input as PaymentReport;
    expect(report).toMatchObject({ orderId, outcome: 'failed', reason: 'payment still pending when the poll window closed' });
  });
});

test('a pending payment that settles inside the poll window is reported as validated', async () => {
  let checks = 0;
  const { activities, calls } = activityDoubles({
    getPaymentStatus: async () => ({ status: 'pending', amount: 10 }),
    awaitPaymentSettled: async () => {
      if (++checks < 4) throw ApplicationFailure.retryable('still pending', 'PaymentPending');
      return { status: 'captured', amount: 10, reference: 'ref-late' };
    },
  });
  await withWorker(time.env, activities, async (taskQueue) => {
    const { handle } = await startPaymentWorkflow(time.env, taskQueue, { eventId: 'evt-pending', type: 'payment.pending', paymentId: 'PAY-1', amount: 10, currency: 'EUR' });
    expect((await handle.result()).status).toBe('validated');
    expect((calls.find((call) => call.name === 'reportPaymentToOrder')!.input as PaymentReport)).toMatchObject({ outcome: 'validated', reference: 'ref-late' });
  });
});

async function startPaidOrder(taskQueue: string) {
  const { handle } = await startOrderWorkflow(time.env, taskQueue);
  await handle.signal(paymentValidated, { eventId: 'evt-pay', type: 'payment.validated', paymentId: 'PAY-1', reference: 'ref-1', amount: 10 });
  return handle;
}

test('a permanent failure after payment compensates in reverse order, and a failing undo step does not stop the next', async () => {
  const { activities, calls } = activityDoubles({
    reserveInventory: async () => {
      throw permanent('SKU-0001: out of stock');
    },
    releaseInventory: async () => {
      throw permanent('storefront refused the release');
    },
  });
  await withWorker(time.env, activities, async (taskQueue) => {
    const handle = await startPaidOrder(taskQueue);
    await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
    const status = await handle.query(orderStatusQuery);
    expect(names(calls)).toEqual(['validateOrder', 'enrichOrder', 'assessOrderRisk', 'reserveInventory', 'releaseInventory', 'voidPayment', 'publishOrderStatus']);
    expect(status.stage).toBe('failed');
    expect(status.history.filter((step) => ['release inventory', 'void payment'].includes(step.step))).toMatchObject([
      { step: 'release inventory', outcome: 'failed', detail: expect.stringContaining('storefront refused the release') as unknown },
      { step: 'void payment', outcome: 'ok' },
    ]);
    expect(calls.at(-1)!.input).toMatchObject({ status: 'FAILED', reasons: ['SKU-0001: out of stock'] });
  });
});

test('a cancellation while allocation keeps failing interrupts it and compensates: release, then void, then CANCELLED', async () => {
  const { activities, calls } = activityDoubles({
    reserveInventory: async () => {
      throw ApplicationFailure.retryable('storefront unavailable', 'HttpUnavailable');
    },
  });
  await withWorker(time.env, activities, async (taskQueue) => {
    const handle = await startPaidOrder(taskQueue);
    await time.env.sleep('10 minutes');
    await handle.signal(orderCancelled, { eventId: 'evt-cancel', type: 'order.cancelled', reason: 'customer changed their mind' });
    const status = await handle.result();
    expect(status.stage).toBe('cancelled');
    const afterReserve = names(calls).slice(names(calls).lastIndexOf('reserveInventory') + 1);
    expect(afterReserve).toEqual(['releaseInventory', 'voidPayment', 'publishOrderStatus']);
    expect(calls.at(-1)!.input).toMatchObject({ status: 'CANCELLED', reasons: ['cancelled: customer changed their mind'] });
    expect(names(calls).filter((name) => name === 'reserveInventory').length).toBeGreaterThan(3);
  });
});

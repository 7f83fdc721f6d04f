import { expect, test } from 'vitest';
import type { PaymentReport } from '../../src/activity/payment/activities.ts';
import { loadConfig } from '../../src/config/config.ts';
import { CHANGE_DEFAULTS, orderReviewed, orderStatusQuery, paymentEvent, paymentFailed, paymentValidated, type OrderStage } from '../../src/contract/workflows.ts';
import { activityDoubles, startOrderWorkflow, startPaymentWorkflow, useTimeSkippingEnvironment, withWorker, type ActivityCall } from '../support/workflow-doubles.ts';

const time = useTimeSkippingEnvironment();

const names = (calls: ActivityCall[]) => calls.map((call) => call.name);
const published = (calls: ActivityCall[]) => calls.filter((call) => call.name === 'publishOrderStatus').map((call) => call.input as { status: string; reasons: string[]; risk?: object });
const highRisk = async () => ({ score: 92, level: 'high' as const, reasons: ['new customer'] });

async function startOrder(taskQueue: string) {
  const { orderId, input, handle } = await startOrderWorkflow(time.env, taskQueue);
  return { orderId, settings: input.settings, handle };
}
type Handle = Awaited<ReturnType<typeof startOrder>>['handle'];
const pay = (handle: Handle, paymentId = 'PAY-1') => handle.signal(paymentValidated, { eventId: `evt-${paymentId}`, type: 'payment.validated', paymentId, reference: `ref-${paymentId}`, amount: 10 });
/** Time passes only while the test waits, so waiting for a stage is polling with short sleeps. */
async function reaches(handle: Handle, stage: OrderStage) {
  for (let i = 0; i < 200; i += 1) {
    if ((await handle.query(orderStatusQuery)).stage === stage) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`never reached ${stage}: ${(await handle.query(orderStatusQuery)).stage}`);
}
const elapsed = async (handle: Handle) => {
  const { startTime, closeTime } = await handle.describe();
  return closeTime!.getTime() - startTime.getTime();
};

test('a low-risk order is scored after payment and before allocation, and proceeds', async () => {
  const { activities, calls } = activityDoubles();
  await withWorker(time.env, activities, async (taskQueue) => {
    const { handle } = await startOrder(taskQueue);
    await pay(handle);
    const status = await handle.result();
    expect(status.stage).toBe('completed');
    expect(status.risk).toEqual({ score: 12, level: 'low', reasons: [], decision: 'passed' });
    // v3: validate and enrich are one activity (checkOrder), and so are the fulfilment and COMPLETED (publishCompletion), before the notification.
    expect(names(calls)).toEqual(['validateOrder', 'enrichOrder', 'assessOrderRisk', 'reserveInventory', 'publishFulfillment', 'publishOrderStatus', 'notifyCustomer']);
    expect(published(calls)).toEqual([{ orderId: status.orderId, status: 'COMPLETED', reasons: [], risk: status.risk }]);
  });
});

test('a high-risk order waits for review (IN_REVIEW), is approved, and is fulfilled', async () => {
  const { activities, calls } = activityDoubles({ assessOrderRisk: highRisk });
  await withWorker(time.env, activities, async (taskQueue) => {
    const { handle } = await startOrder(taskQueue);
    await pay(handle);
    await reaches(handle, 'awaiting-review');
    await time.env.sleep('3 hours');
    expect((await handle.query(orderStatusQuery)).stage).toBe('awaiting-review');
    await handle.signal(orderReviewed, { eventId: 'evt-review', type: 'order.review', decision: 'approve', reviewer: 'agent-7' });
    const status = await handle.result();
    expect(status.stage).toBe('completed');
    expect(status.risk).toMatchObject({ score: 92, level: 'high', decision: 'approved', reviewer: 'agent-7' });
    expect(published(calls).map((p) => [p.status, p.risk])).toEqual([
      ['IN_REVIEW', { score: 92, level: 'high', reasons: ['new customer'], decision: 'passed' }],
      ['COMPLETED', status.risk],
    ]);
  });
});

test('a high-risk order that support rejects is cancelled, and its payment voided', async () => {
  const { activities, calls } = activityDoubles({ assessOrderRisk: highRisk });
  await withWorker(time.env, activities, async (taskQueue) => {
    const { handle } = await startOrder(taskQueue);
    await pay(handle);
    await reaches(handle, 'awaiting-review');
    await handle.signal(orderReviewed, { eventId: 'evt-review', type: 'order.review', decision: 'reject', reviewer: 'agent-7', note: 'stolen card' });
    const status = await handle.result();
    expect(status.stage).toBe('cancelled');
    expect(status.risk).toMatchObject({ decision: 'rejected', reviewer: 'agent-7' });
    expect(names(calls)).not.toContain('reserveInventory');
    expect(names(calls).slice(-2)).toEqual(['voidPayment', 'publishOrderStatus']);
    expect(published(calls).at(-1)).toMatchObject({ status: 'CANCELLED', reasons: ['rejected in risk review by agent-7: stolen card'] });
  });
});

test('a high-risk order nobody reviews is cancelled after the default review timeout (24 h), and its payment voided', async () => {
  const { activities, calls } = activityDoubles({ assessOrderRisk: highRisk });
  await withWorker(time.env, activities, async (taskQueue) => {
    const { handle, settings } = await startOrder(taskQueue);
    await pay(handle);
    const status = await handle.result();
    expect(status.stage).toBe('cancelled');
    expect(status.risk).toMatchObject({ decision: 'review-timed-out' });
    expect(settings.reviewTimeoutMs).toBe(24 * 3_600_000);
    expect(await elapsed(handle)).toBeGreaterThanOrEqual(settings.reviewTimeoutMs!);
    expect(names(calls).slice(-2)).toEqual(['voidPayment', 'publishOrderStatus']);
    expect(published(calls).at(-1)).toMatchObject({ status: 'CANCELLED', reasons: ['risk review not decided in time'] });
  });
});

test('a payment that fails and then succeeds inside the retry window is fulfilled', async () => {
  const { activities, calls } = activityDoubles();
  await withWorker(time.env, activities, async (taskQueue) => {
    const { handle, settings } = await startOrder(taskQueue);
    await handle.signal(paymentFailed, { eventId: 'evt-fail', type: 'payment.failed', paymentId: 'PAY-1', reason: 'card declined' });
    await reaches(handle, 'awaiting-payment-retry');
    await time.env.sleep(settings.paymentRetryWindowMs! - 5 * 60_000);
    await pay(handle, 'PAY-2');
    const status = await handle.result();
    expect(status.stage).toBe('completed');
    expect(status.payment).toMatchObject({ status: 'validated', paymentId: 'PAY-2' });
    expect(status.failedPayments).toEqual([{ paymentId: 'PAY-1', reason: 'card declined' }]);
    expect(published(calls).map((p) => p.status)).toEqual(['COMPLETED']);
  });
});

test('a failed payment not made again within the default retry window (1 h) cancels the order', async () => {
  const { activities, calls } = activityDoubles();
  await withWorker(time.env, activities, async (taskQueue) => {
    const { handle, settings } = await startOrder(taskQueue);
    await handle.signal(paymentFailed, { eventId: 'evt-fail', type: 'payment.failed', paymentId: 'PAY-1', reason: 'card declined' });
    const status = await handle.result();
    expect(status.stage).toBe('cancelled');
    expect(settings.paymentRetryWindowMs).toBe(60 * 60_000);
    expect(await elapsed(handle)).toBeGreaterThanOrEqual(settings.paymentRetryWindowMs!);
    expect(names(calls)).not.toContain('voidPayment');
    expect(published(calls)).toMatchObject([{ status: 'CANCELLED', reasons: ['payment failed and was not made again in time'] }]);
  });
});

test('the payment workflow reports a failure, listens on for the next payment within the window, and reports that too', async () => {
  const { activities, calls } = activityDoubles({
    getPaymentStatus: async ({ paymentId }) =>
      paymentId === 'PAY-1' ? { status: 'failed', amount: 10, reason: 'card declined' } : { status: 'authorized', amount: 10, reference: 'ref-PAY-2' },
  });
  await withWorker(time.env, activities, async (taskQueue) => {
    const { handle } = await startPaymentWorkflow(time.env, taskQueue, { eventId: 'evt-1', type: 'payment.failed', paymentId: 'PAY-1', amount: 10, currency: 'EUR' });
    await time.env.sleep('20 minutes');
    await handle.signal(paymentEvent, { eventId: 'evt-2', type: 'payment.authorized', paymentId: 'PAY-2', amount: 10, currency: 'EUR' });
    const view = await handle.result();
    expect(view).toMatchObject({ status: 'validated', paymentId: 'PAY-2', failed: ['PAY-1'] });
    const reports = calls.filter((call) => call.name === 'reportPaymentToOrder').map((call) => call.input as PaymentReport);
    expect(reports.map((report) => [report.outcome, report.paymentId])).toEqual([
      ['failed', 'PAY-1'],
      ['validated', 'PAY-2'],
    ]);
  });
});

test('the fallbacks for inputs started before the change (CHANGE_DEFAULTS) are the config defaults', () => {
  const config = loadConfig({});
  expect(CHANGE_DEFAULTS).toEqual({
    reviewTimeoutMs: config.orderTimeouts.reviewTimeoutMs,
    paymentRetryWindowMs: config.orderTimeouts.paymentRetryWindowMs,
    riskTaskQueue: config.taskQueues.activities.risk,
  });
});

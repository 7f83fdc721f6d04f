import { expect, test } from 'vitest';
import { orderReceived, paymentValidated, type OrderStatus, type PaymentValidatedSignal } from '../../src/contract/workflows.ts';
import { activityDoubles, orderCreated, startOrderWorkflow, useTimeSkippingEnvironment, withWorker } from '../support/workflow-doubles.ts';

const time = useTimeSkippingEnvironment();

const startOrder = (taskQueue: string, first: Parameters<typeof startOrderWorkflow>[2]) => startOrderWorkflow(time.env, taskQueue, first);
const created = orderCreated;
const paid = { signal: paymentValidated.name, arg: { eventId: 'evt-pay', type: 'payment.validated', paymentId: 'PAY-1', reference: 'ref-1', amount: 10 } satisfies PaymentValidatedSignal };

/** The workflow's result and how much workflow time (the server's skipped clock) it took. */
async function outcome(handle: { result(): Promise<OrderStatus>; describe(): Promise<{ startTime: Date; closeTime?: Date }> }): Promise<{ status: OrderStatus; elapsedMs: number }> {
  const status = await handle.result();
  const { startTime, closeTime } = await handle.describe();
  return { status, elapsedMs: closeTime!.getTime() - startTime.getTime() };
}
const statuses = (calls: { name: string; input: unknown }[]) => calls.filter((c) => c.name === 'publishOrderStatus').map((c) => (c.input as { status: string }).status);

test('a workflow started by a payment whose order never arrives is cancelled after the default arrival timeout (24 h)', async () => {
  const { activities, calls } = activityDoubles();
  await withWorker(time.env, activities, async (taskQueue) => {
    const { handle, input } = await startOrder(taskQueue, paid);
    const { status, elapsedMs } = await outcome(handle);
    expect(status.stage).toBe('cancelled');
    expect(status.history.at(-1)).toMatchObject({ step: 'cancel', detail: 'the order never arrived' });
    expect(elapsedMs).toBeGreaterThanOrEqual(input.settings.orderTimeoutMs);
    expect(input.settings.orderTimeoutMs).toBe(24 * 3_600_000);
    expect(calls.map((c) => c.name)).toEqual(['publishOrderStatus']);
    expect(statuses(calls)).toEqual(['CANCELLED']);
  });
});

test('a valid order with no payment is cancelled after the default payment timeout (30 min)', async () => {
  const { activities, calls } = activityDoubles();
  await withWorker(time.env, activities, async (taskQueue) => {
    const { handle, input } = await startOrder(taskQueue, created);
    const { status, elapsedMs } = await outcome(handle);
    expect(status.stage).toBe('cancelled');
    expect(status.history.at(-1)).toMatchObject({ step: 'cancel', detail: 'payment not validated in time' });
    expect(elapsedMs).toBeGreaterThanOrEqual(input.settings.paymentTimeoutMs);
    expect(elapsedMs).toBeLessThan(input.settings.orderTimeoutMs);
    expect(calls.map((c) => c.name)).toEqual(['validateOrder', 'enrichOrder', 'publishOrderStatus']);
    expect(statuses(calls)).toEqual(['CANCELLED']);
  });
});

test('an invalid order that is never corrected is cancelled after the default correction timeout (24 h)', async () => {
  const { activities, calls } = activityDoubles({ validateOrder: async () => ({ valid: false, reasons: ['unknown SKU SKU-9999'] }) });
  await withWorker(time.env, activities, async (taskQueue) => {
    const { handle, input } = await startOrder(taskQueue, created);
    const { status, elapsedMs } = await outcome(handle);
    expect(status.stage).toBe('cancelled');
    expect(status.history.at(-1)).toMatchObject({ step: 'cancel', detail: 'invalid order not corrected in time: unknown SKU SKU-9999' });
    expect(elapsedMs).toBeGreaterThanOrEqual(input.settings.correctionTimeoutMs);
    expect(statuses(calls)).toEqual(['INVALID', 'CANCELLED']);
  });
});

test('a correction inside the window re-validates; the payment timeout then starts afresh', async () => {
  let validations = 0;
  const { activities, calls } = activityDoubles({
    validateOrder: async () => (++validations === 1 ? { valid: false, reasons: ['quantity of SKU-0001 must be above 0'] } : { valid: true, reasons: [] }),
  });
  await withWorker(time.env, activities, async (taskQueue) => {
    const { handle, input } = await startOrder(taskQueue, created);
    await time.env.sleep(input.settings.correctionTimeoutMs - 60_000);
    await handle.signal(orderReceived, { eventId: 'evt-update', type: 'order.updated' });
    await time.env.sleep(input.settings.paymentTimeoutMs - 60_000);
    await handle.signal(paymentValidated, paid.arg);
    const status = await handle.result();
    expect(status.stage).toBe('completed');
    expect(validations).toBe(2);
    expect(statuses(calls)).toEqual(['INVALID', 'COMPLETED']);
  });
});

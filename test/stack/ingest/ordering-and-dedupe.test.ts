import { afterAll, beforeAll, expect, test, vi } from 'vitest';
import { orderEvent, paymentEventFor, toRecord } from '../../../src/dev/standins/events.ts';
import { paymentStatusQuery, paymentWorkflowId } from '../../../src/contract/workflows.ts';
import { startTestService, type TestService } from '../../support/service.ts';

let service: TestService;
beforeAll(async () => {
  service = await startTestService();
});
afterAll(async () => {
  await service?.stop();
});

test('a payment produced before its order: one order workflow ends up with both, and payment counts as received', async () => {
  const orderId = service.orderId('pay-first');
  const payment = paymentEventFor('payment.authorized', orderId, `PAY-${orderId}`);
  const order = orderEvent('order.created', orderId);

  await service.produce(service.config.topics.paymentEvents, [toRecord(payment)]);
  // The payment alone starts the payment workflow, which starts the order workflow by signal-with-start.
  await vi.waitFor(async () => expect((await service.orderStatus(orderId)).payment.status).toBe('validated'), { timeout: 30_000, interval: 200 });
  expect((await service.orderStatus(orderId)).orderReceived).toBe(false);

  await service.produce(service.config.topics.orderEvents, [toRecord(order)]);
  await vi.waitFor(async () => expect((await service.orderStatus(orderId)).stage).toBe('completed'), { timeout: 60_000, interval: 250 });

  const status = await service.orderStatus(orderId);
  expect(status.orderReceived).toBe(true);
  expect(status.payment).toMatchObject({ status: 'validated', paymentId: `PAY-${orderId}` });
  expect(status.appliedEvents.map((event) => event.type)).toEqual(['payment.validated', 'order.created']);
  // One order workflow run, not two.
  const runs = await Array.fromAsync(service.temporal.workflow.list({ query: `WorkflowId = 'order-${orderId}'` }));
  expect(runs).toHaveLength(1);
});

test('the same event produced three times is applied once', async () => {
  const orderId = service.orderId('dup');
  const created = toRecord(orderEvent('order.created', orderId));
  const payment = toRecord(paymentEventFor('payment.pending', orderId, `PAY-dup-${orderId}`));
  // The payment stays pending for the whole test: only deduplication is under test here.
  await fetch(`${service.paymentProvider.url}/payments/PAY-dup-${orderId}`, {
    method: 'PUT',
    body: JSON.stringify({ orderId, status: 'pending' }),
  });

  await service.produce(service.config.topics.orderEvents, [created, created, created]);
  await service.produce(service.config.topics.paymentEvents, [payment, payment, payment]);

  const createdId = (JSON.parse(created.value) as { id: string }).id;
  const { id: paymentId, time: paymentTime } = JSON.parse(payment.value) as { id: string; time: string };
  await vi.waitFor(
    async () => {
      expect(service.registry.getSingleMetric('oms_ingest_events_signalled_total')).toBeDefined();
      const signalled = await service.registry.getSingleMetric('oms_ingest_events_signalled_total')!.get();
      const count = (type: string) => signalled.values.filter((v) => v.labels.type === type).reduce((sum, v) => sum + v.value, 0);
      expect(count('order.created')).toBeGreaterThanOrEqual(3);
      expect(count('payment.pending')).toBeGreaterThanOrEqual(3);
    },
    { timeout: 30_000, interval: 200 },
  );
  const order = await service.orderStatus(orderId);
  expect(order.appliedEvents.filter((event) => event.eventId === createdId)).toHaveLength(1);
  const paymentView = await service.temporal.workflow.getHandle(paymentWorkflowId(orderId)).query(paymentStatusQuery);
  expect(paymentView.appliedEvents).toEqual([{ eventId: paymentId, type: 'payment.pending', time: paymentTime }]);
});

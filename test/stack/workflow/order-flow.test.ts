import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, expect, inject, test, vi } from 'vitest';
import type { FulfillmentOrderRecord, OrderStatusChangedRecord } from '../../../src/avro/schemas.ts';
import { subjectFor } from '../../../src/avro/publisher.ts';
import { seededCustomer, seededOrder, type SeedOrder } from '../../../src/dev/standins/seed.ts';
import { cloudEvent, orderEvent, paymentEventFor, toRecord } from '../../../src/dev/standins/events.ts';
import { paymentStatusQuery, paymentWorkflowId } from '../../../src/contract/workflows.ts';
import { startTestService, type TestService } from '../../support/service.ts';
import { attemptsOf } from '../../support/workflow-cost.ts';
import { readTopic } from '../../support/topics.ts';

let service: TestService;
let registry: SchemaRegistry;
beforeAll(async () => {
  // A failed payment waits this long for the customer to pay again (default: an hour).
  service = await startTestService({ env: { PAYMENT_RETRY_WINDOW_MS: '5000' } });
  registry = new SchemaRegistry({ host: inject('stack').schemaRegistryUrl });
});
afterAll(async () => {
  await service?.stop();
});

const until = (check: () => Promise<void>, timeout = 60_000) => vi.waitFor(check, { timeout, interval: 250 });
const stageOf = async (orderId: string) => (await service.orderStatus(orderId)).stage;

async function putOrder(order: SeedOrder) {
  await fetch(`${service.storefront.url}/orders/${order.orderId}`, { method: 'PUT', body: JSON.stringify(order) });
}
async function putPayment(paymentId: string, body: object) {
  await fetch(`${service.paymentProvider.url}/payments/${paymentId}`, { method: 'PUT', body: JSON.stringify(body) });
}
async function statusMessages(orderId: string, count: number): Promise<OrderStatusChangedRecord[]> {
  let mine: OrderStatusChangedRecord[] = [];
  await until(async () => {
    const all = await readTopic(service.kafka, service.config.topics.orderStatus, 1);
    const decoded = await Promise.all(all.map((m) => registry.decode(m.value!) as Promise<OrderStatusChangedRecord>));
    mine = decoded.filter((record) => record.orderId === orderId);
    expect(mine.length).toBeGreaterThanOrEqual(count);
  });
  return mine;
}
const produceOrder = (orderId: string, type: 'order.created' | 'order.updated' = 'order.created') =>
  service.produce(service.config.topics.orderEvents, [toRecord(orderEvent(type, orderId))]);
const producePayment = (orderId: string, type: Parameters<typeof paymentEventFor>[0], paymentId = `PAY-${orderId}`) =>
  service.produce(service.config.topics.paymentEvents, [toRecord(paymentEventFor(type, orderId, paymentId))]);

test('an order and its payment: validated, enriched, allocated, published as Avro, customer notified', async () => {
  const orderId = service.orderId('happy');
  await produceOrder(orderId);
  await producePayment(orderId, 'payment.captured');
  await until(async () => expect(await stageOf(orderId)).toBe('completed'));
  const status = await service.orderStatus(orderId);
  expect(status.history.filter((s) => s.outcome === 'ok').map((s) => s.step)).toEqual(['validate', 'enrich', 'payment', 'risk', 'allocate', 'publish', 'notify']);

  const messages = await readTopic(service.kafka, service.config.topics.fulfillment, 1);
  const mine = [];
  for (const message of messages) {
    const record = (await registry.decode(message.value!)) as FulfillmentOrderRecord;
    if (record.orderId === orderId) mine.push({ message, record });
  }
  expect(mine).toHaveLength(1);
  const { message, record } = mine[0]!;
  const registered = (await (await fetch(`${inject('stack').schemaRegistryUrl}/subjects/${subjectFor(service.config.topics.fulfillment)}/versions/latest`)).json()) as { id: number };
  expect(message.value!.readUInt8(0)).toBe(0);
  expect(message.value!.readInt32BE(1)).toBe(registered.id);
  expect(message.key!.toString()).toBe(orderId);
  const seeded = seededOrder(orderId)!;
  const customer = seededCustomer(seeded.customerId)!;
  expect(record).toMatchObject({
    orderId,
    fulfillmentId: status.fulfillmentId,
    customer: { id: customer.id, name: customer.name, email: customer.email },
    shippingAddress: seeded.shippingAddress,
    lines: seeded.lines.map((line) => ({ sku: line.sku, quantity: line.quantity, unitPriceMinor: Math.round(line.unitPrice * 100) })),
    currency: 'EUR',
    minorUnitDigits: 2,
    paymentReference: `ref-PAY-${orderId}`,
  });
  expect(status.fulfillmentId).toMatch(/^ful-/);

  expect((await statusMessages(orderId, 1)).map((s) => s.status)).toEqual(['COMPLETED']);
  const notifications = (await (await fetch(`${service.storefront.url}/_notifications?orderId=${orderId}`)).json()) as unknown[];
  expect(notifications).toHaveLength(1);
  const reservation = (await (await fetch(`${service.storefront.url}/reservations/${status.fulfillmentId}`)).json()) as { released: boolean };
  expect(reservation.released).toBe(false);
});

test('an invalid order is reported to the dashboard, waits for a correction, and then completes', async () => {
  const orderId = service.orderId('invalid');
  const seeded = seededOrder(orderId)!;
  const broken = { ...seeded, lines: [{ ...seeded.lines[0]!, quantity: 0 }, { sku: 'SKU-9999', quantity: 1, unitPrice: 5 }] };
  await putOrder(broken);
  await produceOrder(orderId);
  await until(async () => expect(await stageOf(orderId)).toBe('awaiting-correction'));
  const [invalid] = await statusMessages(orderId, 1);
  expect(invalid!.status).toBe('INVALID');
  expect(invalid!.reasons.join('\n')).toMatch(/quantity of SKU-\d{4} must be above 0/);
  expect(invalid!.reasons.join('\n')).toMatch(/unknown SKU SKU-9999/);

  await putOrder(seeded);
  await produceOrder(orderId, 'order.updated');
  await producePayment(orderId, 'payment.authorized');
  await until(async () => expect(await stageOf(orderId)).toBe('completed'));
  expect((await statusMessages(orderId, 2)).map((s) => s.status)).toEqual(['INVALID', 'COMPLETED']);
});

test('a support reprocess request re-validates an order that was fixed in the storefront', async () => {
  const orderId = service.orderId('reprocess');
  const seeded = seededOrder(orderId)!;
  await putOrder({ ...seeded, total: seeded.total + 10 });
  await produceOrder(orderId);
  await until(async () => expect(await stageOf(orderId)).toBe('awaiting-correction'));
  expect((await service.orderStatus(orderId)).history.at(-1)?.detail).toMatch(/does not match the lines/);

  await putOrder(seeded);
  await service.produce(service.config.topics.supportCommands, [toRecord(cloudEvent('order.reprocess', orderId, { orderId, reason: 'totals fixed by support' }))]);
  await until(async () => expect(await stageOf(orderId)).toBe('awaiting-payment'));
});

test('cancelled while allocation is stuck: inventory released, then payment voided, and CANCELLED published', async () => {
  const orderId = service.orderId('cancel');
  // The storefront makes the reservation but the answer is lost, again and again.
  await fetch(`${service.storefront.url}/_faults`, { method: 'POST', body: JSON.stringify({ method: 'POST', pathPrefix: '/reservations', status: 503, afterApplying: true }) });
  try {
    await produceOrder(orderId);
    await producePayment(orderId, 'payment.authorized');
    await until(async () => expect(await stageOf(orderId)).toBe('allocating'));
    await service.produce(service.config.topics.orderEvents, [toRecord(cloudEvent('order.cancelled', orderId, { orderId, reason: 'customer changed their mind' }))]);
    await until(async () => expect(await stageOf(orderId)).toBe('cancelled'));
  } finally {
    await fetch(`${service.storefront.url}/_faults`, { method: 'DELETE' });
  }
  const status = await service.orderStatus(orderId);
  const undone = status.history.filter((s) => s.step === 'release inventory' || s.step === 'void payment');
  expect(undone.map((s) => [s.step, s.outcome])).toEqual([
    ['release inventory', 'ok'],
    ['void payment', 'ok'],
  ]);
  const fulfillmentId = `ful-${(await service.temporal.workflow.getHandle(`order-${orderId}`).describe()).runId}`;
  const reservation = (await (await fetch(`${service.storefront.url}/reservations/${fulfillmentId}`)).json()) as { released: boolean };
  expect(reservation.released).toBe(true);
  const payment = (await (await fetch(`${service.paymentProvider.url}/payments/PAY-${orderId}`)).json()) as { status: string };
  expect(payment.status).toBe('voided');
  const [cancelled] = await statusMessages(orderId, 1);
  expect(cancelled).toMatchObject({ status: 'CANCELLED', reasons: ['cancelled: customer changed their mind'] });
});

test('a pending payment is polled until it settles, then the order completes', async () => {
  const orderId = service.orderId('pending');
  await putPayment(`PAY-${orderId}`, { orderId, status: 'pending', settlesAs: 'authorized', lookupsUntilSettled: 3 });
  await produceOrder(orderId);
  await producePayment(orderId, 'payment.pending');
  await until(async () => expect(await stageOf(orderId)).toBe('completed'), 90_000);
  const view = await service.temporal.workflow.getHandle(paymentWorkflowId(orderId)).query(paymentStatusQuery);
  expect(view.status).toBe('validated');
  const history = await service.temporal.workflow.getHandle(paymentWorkflowId(orderId)).fetchHistory();
  const pollAttempts = history.events!.filter((e) => e.activityTaskStartedEventAttributes).map((e) => e.activityTaskStartedEventAttributes!.attempt ?? 1);
  expect(Math.max(...pollAttempts)).toBeGreaterThanOrEqual(2);
});

test('a failed payment not made again within the retry window cancels the order, with nothing to compensate', async () => {
  const orderId = service.orderId('declined');
  await putPayment(`PAY-${orderId}`, { orderId, status: 'failed', reason: 'card declined' });
  await produceOrder(orderId);
  await producePayment(orderId, 'payment.failed');
  await until(async () => expect(await stageOf(orderId)).toBe('cancelled'));
  const status = await service.orderStatus(orderId);
  expect(status.payment.status).toBe('failed');
  expect(status.history.some((s) => s.step === 'void payment' || s.step === 'release inventory')).toBe(false);
  expect(await statusMessages(orderId, 1)).toMatchObject([{ status: 'CANCELLED', reasons: ['payment failed and was not made again in time'] }]);
});

test('a permanent failure after payment (no stock) voids the payment, publishes FAILED, and fails the workflow', async () => {
  const orderId = service.orderId('nostock');
  const seeded = seededOrder(orderId)!;
  await fetch(`${service.storefront.url}/inventory/${seeded.lines[0]!.sku}`, { method: 'PUT', body: JSON.stringify({ available: 0 }) });
  try {
    await produceOrder(orderId);
    await producePayment(orderId, 'payment.authorized');
    await until(async () => expect(await stageOf(orderId)).toBe('failed'));
  } finally {
    await fetch(`${service.storefront.url}/inventory/${seeded.lines[0]!.sku}`, { method: 'PUT', body: JSON.stringify({ available: 1_000_000 }) });
  }
  await expect(service.temporal.workflow.getHandle(`order-${orderId}`).result()).rejects.toBeInstanceOf(WorkflowFailedError);
  const payment = (await (await fetch(`${service.paymentProvider.url}/payments/PAY-${orderId}`)).json()) as { status: string };
  expect(payment.status).toBe('voided');
  const [failed] = await statusMessages(orderId, 1);
  expect(failed!.status).toBe('FAILED');
});

test('the risk service failing is retried by Temporal: the order waits in assessing-risk until it answers, then completes', { timeout: 120_000 }, async () => {
  const orderId = service.orderId('riskdown');
  await fetch(`${service.risk.url}/_faults`, { method: 'POST', body: JSON.stringify({ method: 'POST', pathPrefix: '/assessments', status: 503 }) });
  try {
    await produceOrder(orderId);
    await producePayment(orderId, 'payment.authorized');
    await until(async () => expect(await stageOf(orderId)).toBe('assessing-risk'));
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(await stageOf(orderId)).toBe('assessing-risk');
  } finally {
    await fetch(`${service.risk.url}/_faults`, { method: 'DELETE' });
  }
  // Temporal's backoff (1 s doubling to 30 s) decides when the next attempt comes.
  await until(async () => expect(await stageOf(orderId)).toBe('completed'), 90_000);
  expect((await service.orderStatus(orderId)).risk).toMatchObject({ level: 'low', decision: 'passed' });
  // At the defaults the risk group runs as a local activity: its attempts are in its marker.
  const events = (await service.temporal.workflow.getHandle(`order-${orderId}`).fetchHistory()).events!;
  expect(Math.max(...attemptsOf(events, 'assessOrderRisk'))).toBeGreaterThanOrEqual(2);
});

import type { IHeaders } from 'kafkajs';
import { afterAll, beforeAll, expect, test, vi } from 'vitest';
import { DLQ_HEADERS, dlqTopicFor } from '../../../src/ingest/dead-letter.ts';
import { cloudEvent, orderEvent, paymentEventFor, toRecord, type KafkaRecord } from '../../../src/dev/standins/events.ts';
import { poisonCorpus } from '../../fixtures/event-corpus.ts';
import { startTestService, type TestService } from '../../support/service.ts';
import { uncommitted } from '../../support/offsets.ts';
import { readTopic } from '../../support/topics.ts';

const MAX_EVENT_BYTES = 4_096;
let service: TestService;
beforeAll(async () => {
  service = await startTestService({ env: { INGEST_MAX_EVENT_BYTES: String(MAX_EVENT_BYTES) } });
});
afterAll(async () => {
  await service?.stop();
});

const header = (headers: IHeaders | undefined, name: string) => headers?.[name]?.toString();

test('poison messages of every kind go to the DLQ with their reason, the good ones are all signalled, and ingest stays up', async () => {
  const topic = service.config.topics.orderEvents;
  const good = (n: number) => toRecord(orderEvent('order.created', service.orderId(`good-${n}`)));
  const valid = orderEvent('order.created', service.orderId('poison'));
  const poison = poisonCorpus(valid, MAX_EVENT_BYTES);
  const records = poison.flatMap(({ record }, n) => [good(n), { ...record, headers: { 'x-test-case': String(n) } }]);
  records.push(good(poison.length));
  await service.produce(topic, records as KafkaRecord[]);

  const dead = await readTopic(service.kafka, dlqTopicFor(topic), poison.length);
  expect(dead).toHaveLength(poison.length);
  for (const message of dead) {
    const n = Number(header(message.headers, 'x-test-case'));
    const expected = poison[n]!;
    expect(header(message.headers, DLQ_HEADERS.errorClass), `case ${n}`).toBe(expected.reason);
    expect(header(message.headers, DLQ_HEADERS.errorMessage)).toBeTruthy();
    // The reason headers are read by whoever re-drives the DLQ: no customer details in them.
    // The email's first characters too: the parser's message quotes about ten characters from the fault.
    const customer = [valid.data.customer.email.slice(0, 8), valid.data.customer.name, valid.data.shippingAddress.line1, valid.data.shippingAddress.postalCode];
    for (const name of Object.values(DLQ_HEADERS)) for (const text of customer) expect(header(message.headers, name) ?? '', `case ${n}, ${name}`).not.toContain(text);
    expect(message.value?.toString()).toBe(expected.record.value);
    expect(message.key?.toString() ?? null).toBe(expected.record.key);
    expect(header(message.headers, DLQ_HEADERS.originalTopic)).toBe(topic);
    expect(Number(header(message.headers, DLQ_HEADERS.originalPartition))).toBeGreaterThanOrEqual(0);
    expect(Number(header(message.headers, DLQ_HEADERS.originalOffset))).toBeGreaterThanOrEqual(0);
    expect(Number(header(message.headers, DLQ_HEADERS.originalTimestamp))).toBeGreaterThan(0);
  }

  for (let n = 0; n <= poison.length; n++) {
    await vi.waitFor(async () => expect((await service.orderStatus(service.orderId(`good-${n}`))).orderReceived).toBe(true), { timeout: 30_000, interval: 200 });
  }
  // Still up: ready, and a later event is processed too.
  expect(service.ingest!.isReady()).toBe(true);
  const after = service.orderId('after-poison');
  await service.produce(topic, [toRecord(orderEvent('order.created', after))]);
  await vi.waitFor(async () => expect((await service.orderStatus(after)).orderReceived).toBe(true), { timeout: 30_000, interval: 200 });

  // Everything consumed was committed, poison included.
  await vi.waitFor(async () => expect(await uncommitted(service.kafka, service.config.ingest.groupId, topic)).toBe(0), { timeout: 15_000, interval: 250 });
});

test('binary-mode events (ce_* headers, data as the value) are accepted like structured ones', async () => {
  const orderId = service.orderId('binary');
  const event = orderEvent('order.created', orderId);
  await service.produce(service.config.topics.orderEvents, [
    {
      key: orderId,
      value: JSON.stringify(event.data),
      headers: { ce_specversion: '1.0', ce_id: event.id, ce_source: event.source, ce_type: event.type, ce_subject: orderId, ce_time: event.time, 'content-type': 'application/json' },
    },
  ]);
  await vi.waitFor(async () => expect((await service.orderStatus(orderId)).appliedEvents).toEqual([{ eventId: event.id, type: 'order.created', time: event.time }]), {
    timeout: 30_000,
    interval: 200,
  });
});

test('a late event for a finished order is recorded and committed, and the order is not run again', async () => {
  const orderId = service.orderId('late');
  await service.produce(service.config.topics.orderEvents, [toRecord(orderEvent('order.created', orderId))]);
  await service.produce(service.config.topics.paymentEvents, [toRecord(paymentEventFor('payment.captured', orderId, `PAY-late-${orderId}`))]);
  await vi.waitFor(async () => expect((await service.orderStatus(orderId)).stage).toBe('completed'), { timeout: 60_000, interval: 250 });
  const handle = service.temporal.workflow.getHandle(`order-${orderId}`);
  const firstRun = (await handle.describe()).runId;

  const lateMetric = async () =>
    (await service.registry.getSingleMetric('oms_ingest_events_late_total')!.get()).values.filter((v) => v.labels.type === 'order.updated').reduce((s, v) => s + v.value, 0);
  const lateBefore = await lateMetric();
  await service.produce(service.config.topics.orderEvents, [toRecord(cloudEvent('order.updated', orderId, orderEvent('order.updated', orderId).data))]);
  await vi.waitFor(async () => expect(await lateMetric()).toBe(lateBefore + 1), { timeout: 30_000, interval: 200 });

  const description = await handle.describe();
  expect(description.runId).toBe(firstRun);
  expect(description.status.name).toBe('COMPLETED');
  const runs = await Array.fromAsync(service.temporal.workflow.list({ query: `WorkflowId = 'order-${orderId}'` }));
  expect(runs).toHaveLength(1);
});

import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { afterAll, beforeAll, expect, inject, test, vi } from 'vitest';
import type { FulfillmentOrderRecord } from '../../../src/avro/schemas.ts';
import { parseEdge } from '../../../src/replay/range.ts';
import { replayTopic } from '../../../src/replay/replay.ts';
import { ensureTopics } from '../../../src/kafka/client.ts';
import { createOperatorTools, type OperatorTools } from '../../../src/service/operate.ts';
import { cloudEvent, orderEvent, paymentEventFor, toRecord } from '../../../src/dev/standins/events.ts';
import { runOms } from '../../support/cli.ts';
import { committedPositions } from '../../support/offsets.ts';
import { startTestService, type TestService } from '../../support/service.ts';
import { collectTopic } from '../../support/topics.ts';

let service: TestService;
let tools: OperatorTools;
let fulfillment: Awaited<ReturnType<typeof collectTopic>>;
const registry = new SchemaRegistry({ host: inject('stack').schemaRegistryUrl });
const never = new AbortController().signal;

beforeAll(async () => {
  service = await startTestService();
  tools = await createOperatorTools(service.config, service.logger, 'report', service.kafka);
  fulfillment = await collectTopic(service.kafka, service.config.topics.fulfillment);
});
afterAll(async () => {
  await fulfillment?.stop();
  await tools?.close();
  await service?.stop();
});

async function fulfillments(): Promise<FulfillmentOrderRecord[]> {
  return Promise.all(fulfillment.messages.map((m) => registry.decode(m.value!) as Promise<FulfillmentOrderRecord>));
}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const signalledCount = async (type: string) =>
  (await service.registry.getSingleMetric('oms_ingest_events_signalled_total')!.get()).values.filter((v) => v.labels.type === type).reduce((s, v) => s + v.value, 0);

const ORDERS = 200;
let orderIds: string[] = [];
let middle = '';

test('200 orders processed, then a replay from a time in the middle runs exactly the later orders again, with new fulfillment messages', { timeout: 240_000 }, async () => {
  orderIds = Array.from({ length: ORDERS }, (_, n) => service.orderId(n));
  const liveStarted = performance.now();
  await service.produce(service.config.topics.orderEvents, orderIds.slice(0, ORDERS / 2).map((id) => toRecord(orderEvent('order.created', id))));
  await sleep(50);
  middle = new Date().toISOString();
  await sleep(50);
  await service.produce(service.config.topics.orderEvents, orderIds.slice(ORDERS / 2).map((id) => toRecord(orderEvent('order.created', id))));
  await vi.waitFor(async () => expect(await signalledCount('order.created')).toBeGreaterThanOrEqual(ORDERS), { timeout: 120_000, interval: 100 });
  const liveSeconds = (performance.now() - liveStarted) / 1_000;
  await service.produce(service.config.topics.paymentEvents, orderIds.map((id) => toRecord(paymentEventFor('payment.captured', id, `PAY-${id}`))));
  await fulfillment.until((messages) => expect(messages.length).toBeGreaterThanOrEqual(ORDERS), 180_000);
  const firstRun = new Map((await fulfillments()).map((record) => [record.orderId, record]));
  expect(firstRun.size).toBe(ORDERS);
  // Published is not finished (notification follows); a still-running order would only be signalled.
  const completed = `WorkflowType = 'OrderProcessingWorkflow' AND TaskQueue = '${service.config.taskQueues.orders}' AND ExecutionStatus = 'Completed'`;
  await vi.waitFor(async () => expect((await service.temporal.workflow.count(completed)).count).toBe(ORDERS), { timeout: 60_000, interval: 250 });

  const summary = await replayTopic(tools, { topic: service.config.topics.orderEvents, from: parseEdge(middle, '--from') }, never);
  console.log(
    `[figures] live ingest ${ORDERS} events in ${liveSeconds.toFixed(2)} s = ${(ORDERS / liveSeconds).toFixed(0)} events/s; replay ${summary.read} events in ${summary.seconds.toFixed(2)} s = ${(summary.read / summary.seconds).toFixed(0)} events/s (plus ${summary.startupSeconds.toFixed(2)} s to join its own consumer group)`,
  );
  expect(summary).toMatchObject({ read: ORDERS / 2, reprocessed: ORDERS / 2, skippedByFilter: 0, failed: 0 });

  await fulfillment.until((messages) => expect(messages.length).toBe(ORDERS + ORDERS / 2), 180_000);
  await sleep(1_000);
  const all = await fulfillments();
  expect(all).toHaveLength(ORDERS + ORDERS / 2);
  for (const [index, orderId] of orderIds.entries()) {
    const mine = all.filter((record) => record.orderId === orderId);
    if (index < ORDERS / 2) {
      expect(mine, orderId).toHaveLength(1);
      continue;
    }
    expect(mine, orderId).toHaveLength(2);
    const [first, again] = mine as [FulfillmentOrderRecord, FulfillmentOrderRecord];
    expect(first.reprocessOf).toBeNull();
    expect(again.fulfillmentId).not.toBe(first.fulfillmentId);
    expect(again.reprocessOf).toBe(first.fulfillmentId);
    expect(again.paymentReference).toBe(first.paymentReference);
  }
});

test('--order and --type filters, and from-inclusive / to-exclusive edges, select exactly what they claim', async () => {
  // A topic of its own, with timestamps one second apart: time edges are then exact (Kafka finds
  // the first offset stamped at or after a time, which is only "the range" when stamps only grow).
  const topic = `${service.id}.edges`;
  const admin = service.kafka.admin();
  await admin.connect();
  await ensureTopics(admin, [topic].map((name) => ({ name, partitions: 1 })));
  await admin.disconnect();
  const orderId = service.orderId('edges');
  const other = service.orderId('edges-other');
  const base = Date.now() - 10 * 60_000;
  const events = [
    orderEvent('order.created', orderId),
    orderEvent('order.updated', orderId),
    orderEvent('order.created', other),
    orderEvent('order.updated', orderId),
    cloudEvent('order.cancelled', orderId, { orderId, reason: 'test' }),
  ];
  await service.producer.send({ topic, messages: events.map((event, n) => ({ ...toRecord(event), timestamp: String(base + n * 1_000) })) });
  const at = (n: number) => new Date(base + n * 1_000).toISOString();
  const dry = (from: string, to?: string, extra: { orders?: string[]; types?: string[] } = {}) =>
    replayTopic(tools, { topic, from: parseEdge(from, '--from'), to: to ? parseEdge(to, '--to') : undefined, dryRun: true, ...extra }, never);
  const ids = (summary: { plan: string[] }) => summary.plan.map((line) => line.split(' ')[2]);
  const idsOf = (...n: number[]) => n.map((i) => events[i]!.id);

  expect(ids(await dry(at(1), at(3)))).toEqual(idsOf(1, 2));
  expect(ids(await dry(at(0)))).toEqual(idsOf(0, 1, 2, 3, 4));
  expect(ids(await dry('0:1', '0:3'))).toEqual(idsOf(1, 2));
  expect(ids(await dry('0:4'))).toEqual(idsOf(4));
  const updates = await dry(at(0), undefined, { types: ['order.updated'] });
  expect(ids(updates)).toEqual(idsOf(1, 3));
  expect(updates.skippedByFilter).toBe(3);
  const oneOrder = await dry(at(0), undefined, { orders: [orderId] });
  expect(ids(oneOrder)).toEqual(idsOf(0, 1, 3, 4));
  expect(ids(await dry(at(0), undefined, { orders: [orderId, other], types: ['order.created'] }))).toEqual(idsOf(0, 2));
});

test('--dry-run sends no signal, starts no workflow and writes no Kafka message', async () => {
  const from = new Date().toISOString();
  const fresh = [service.orderId('dry-1'), service.orderId('dry-2')];
  // Closed orders (from the first test, if it ran) and brand-new ones alike: nothing may happen to either.
  await service.produce(service.config.topics.orderEvents, fresh.map((id) => toRecord(orderEvent('order.created', id))));
  // At rest before the dry run: the new orders waiting for payment, and nothing more coming out of the
  // earlier tests' orders (a replayed order may still publish its status for a moment after that test).
  await Promise.all(fresh.map((id) => vi.waitFor(async () => expect((await service.orderStatus(id)).stage).toBe('awaiting-payment'), { timeout: 30_000, interval: 200 })));
  const outboundEnds = () => Promise.all([service.config.topics.fulfillment, service.config.topics.orderStatus].map((t) => tools.kafka.admin().fetchTopicOffsets(t).catch(() => undefined)));
  let endsBefore = await outboundEnds();
  for (let settled = false; !settled; ) {
    await sleep(2_000);
    const now = await outboundEnds();
    settled = JSON.stringify(now) === JSON.stringify(endsBefore);
    endsBefore = now;
  }
  const appliedBefore = await Promise.all(fresh.map((id) => service.orderStatus(id).then((s) => s.appliedEvents)));
  const runsBefore = await Array.fromAsync(service.temporal.workflow.list({ query: `WorkflowType = 'OrderProcessingWorkflow' AND TaskQueue = '${service.config.taskQueues.orders}'` }));
  const result = await runOms(['replay', '--topic', service.config.topics.orderEvents, '--from', middle || from, '--dry-run'], service.env, 120_000);
  expect(result.code, result.stderr).toBe(0);
  const planned = result.stdout.split('\n').filter((line) => line.includes('-> signal-with-start'));
  expect(planned.length).toBeGreaterThanOrEqual(fresh.length);
  for (const id of fresh) expect(planned.some((line) => line.includes(`order-${id} (orderReceived)`))).toBe(true);
  expect(result.stdout).toMatch(/would reprocess \d+, skipped by filter 0/);
  expect(result.stderr).toMatch(/replay \(dry run\): \d+\/\d+ \(100%\)/);

  await sleep(1_500);
  const runsAfter = await Array.fromAsync(service.temporal.workflow.list({ query: `WorkflowType = 'OrderProcessingWorkflow' AND TaskQueue = '${service.config.taskQueues.orders}'` }));
  expect(runsAfter.length).toBe(runsBefore.length);
  expect(await outboundEnds()).toEqual(endsBefore);
  expect(await Promise.all(fresh.map((id) => service.orderStatus(id).then((s) => s.appliedEvents)))).toEqual(appliedBefore);
});

test('a replay during live ingest double-applies nothing to a running workflow and leaves the live group offsets alone', async () => {
  const topic = service.config.topics.orderEvents;
  const orderId = service.orderId('running');
  const from = new Date().toISOString();
  await sleep(20);
  const events = [orderEvent('order.created', orderId), orderEvent('order.updated', orderId), orderEvent('order.updated', orderId)];
  await service.produce(topic, events.map(toRecord));
  await vi.waitFor(async () => expect((await service.orderStatus(orderId)).appliedEvents).toHaveLength(3), { timeout: 30_000, interval: 200 });
  await vi.waitFor(async () => expect((await committedPositions(service.kafka, service.config.ingest.groupId, topic)).every((p) => p.committed === p.end)).toBe(true), {
    timeout: 15_000,
    interval: 200,
  });
  const liveOffsets = await committedPositions(service.kafka, service.config.ingest.groupId, topic);

  const summary = await replayTopic(tools, { topic, from: parseEdge(from, '--from'), orders: [orderId] }, never);
  expect(summary.reprocessed).toBe(3);

  const status = await service.orderStatus(orderId);
  expect(status.stage).toBe('awaiting-payment');
  expect(status.appliedEvents.map((e) => e.eventId)).toEqual(events.map((e) => e.id));
  expect(await committedPositions(service.kafka, service.config.ingest.groupId, topic)).toEqual(liveOffsets);
  const runs = await Array.fromAsync(service.temporal.workflow.list({ query: `WorkflowId = 'order-${orderId}'` }));
  expect(runs).toHaveLength(1);
});

import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Producer } from 'kafkajs';
import pLimit from 'p-limit';
import { expect } from 'vitest';
import { createSchemaRegistry } from '../../src/avro/publisher.ts';
import type { FulfillmentOrderRecord } from '../../src/avro/schemas.ts';
import type { Config } from '../../src/config/config.ts';
import { orderEvent, paymentEventFor, toRecord, type KafkaRecord } from '../../src/dev/standins/events.ts';
import { orderWorkflowId, type OrderStatus } from '../../src/workflow/definitions.ts';
import { collectTopic } from '../../src/service/kafka.ts';
import type { Kafka } from 'kafkajs';

/** A stream of ordinary orders, each an order.created and a payment.authorized, interleaved across orders. */
export interface OrderStream {
  orders: { orderId: string; createdEventId: string }[];
  records: { topic: string; record: KafkaRecord }[];
}

export function orderStream(config: Config, orderIds: string[]): OrderStream {
  const orders = orderIds.map((orderId) => ({ orderId, created: orderEvent('order.created', orderId), payment: paymentEventFor('payment.authorized', orderId, `PAY-${orderId}`) }));
  // Every order's two events, spread out: order i's payment travels beside order i+1's creation.
  const records = orders.flatMap((order, i) => [
    { topic: config.topics.orderEvents, record: toRecord(order.created) },
    ...(i > 0 ? [{ topic: config.topics.paymentEvents, record: toRecord(orders[i - 1]!.payment) }] : []),
  ]);
  records.push({ topic: config.topics.paymentEvents, record: toRecord(orders.at(-1)!.payment) });
  return { orders: orders.map((order) => ({ orderId: order.orderId, createdEventId: order.created.id })), records };
}

/**
 * Produces the records at about `perSecond`, in chunks every 100 ms. `at` names moments (ms since the
 * start) at which to run a fault, awaited before the stream goes on, so faults land mid-stream.
 */
export async function produceAtRate(producer: Producer, stream: OrderStream, perSecond: number, at: [number, () => Promise<void>][] = []): Promise<void> {
  const started = performance.now();
  const pending = [...at].sort(([a], [b]) => a - b);
  const perTick = Math.max(1, Math.round(perSecond / 10));
  for (let next = 0; next < stream.records.length; next += perTick) {
    const chunk = stream.records.slice(next, next + perTick);
    const byTopic = Map.groupBy(chunk, (entry) => entry.topic);
    await producer.sendBatch({ topicMessages: [...byTopic].map(([topic, entries]) => ({ topic, messages: entries.map((entry) => entry.record) })) });
    while (pending[0] && performance.now() - started >= pending[0][0]) await pending.shift()![1]();
    const due = started + ((next + perTick) / perSecond) * 1_000;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - performance.now())));
  }
  for (const [, fault] of pending) await fault();
}

/**
 * Waits for every order's workflow result and checks it: completed, and its order.created event
 * applied exactly once. Returns the results by order id.
 */
export async function expectEveryOrderCompleted(temporal: Client, stream: OrderStream, timeoutMs: number): Promise<Map<string, OrderStatus>> {
  const limit = pLimit(32);
  const deadline = AbortSignal.timeout(timeoutMs);
  const results = await Promise.all(
    stream.orders.map((order) =>
      limit(async () => {
        // Ingest may still be working through a backlog: a workflow not started yet is waited for, too.
        for (;;) {
          try {
            const result = (await temporal.withAbortSignal(deadline, () => temporal.workflow.getHandle(orderWorkflowId(order.orderId)).result())) as OrderStatus;
            return [order, result] as const;
          } catch (error) {
            if (!(error instanceof WorkflowNotFoundError) || deadline.aborted) throw error;
            await new Promise((resolve) => setTimeout(resolve, 500));
          }
        }
      }),
    ),
  );
  const notCompleted = results.filter(([, result]) => result.stage !== 'completed').map(([order, result]) => `${order.orderId}: ${result.stage}`);
  expect(notCompleted, 'orders that did not complete').toEqual([]);
  const appliedTwice = results.filter(([order, result]) => result.appliedEvents.filter((event) => event.eventId === order.createdEventId).length !== 1);
  expect(appliedTwice.map(([order]) => order.orderId), 'orders whose order.created was not applied exactly once').toEqual([]);
  return new Map(results.map(([order, result]) => [order.orderId, result]));
}

/** Every FulfillmentOrder on the topic so far, decoded through the registry. */
export async function readFulfillments(kafka: Kafka, config: Config, groupId: string): Promise<FulfillmentOrderRecord[]> {
  const admin = kafka.admin();
  await admin.connect();
  const total = (await admin.fetchTopicOffsets(config.topics.fulfillment)).reduce((sum, p) => sum + Number(p.high), 0);
  await admin.disconnect();
  const collector = await collectTopic(kafka, config.topics.fulfillment, groupId);
  try {
    while (collector.messages.length < total) await new Promise((resolve) => setTimeout(resolve, 100));
  } finally {
    await collector.stop();
  }
  const registry = createSchemaRegistry(config);
  return Promise.all(collector.messages.map(async (message) => (await registry.decode(message.value!)) as FulfillmentOrderRecord));
}

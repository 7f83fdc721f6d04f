import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import pLimit from 'p-limit';
import { expect } from 'vitest';
import { createSchemaRegistry } from '../../src/avro/publisher.ts';
import type { FulfillmentOrderRecord } from '../../src/avro/schemas.ts';
import type { Config } from '../../src/config/config.ts';
import { orderWorkflowId, type OrderStatus } from '../../src/contract/workflows.ts';
import { collectTopic } from '../../src/kafka/client.ts';
import type { Kafka } from 'kafkajs';
import { topicEnd } from './offsets.ts';
import type { OrderStream } from './order-records.ts';

export { orderStream, produceAtRate, sendRecords, type OrderStream } from './order-records.ts';

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
  const total = await topicEnd(kafka, config.topics.fulfillment);
  const collector = await collectTopic(kafka, config.topics.fulfillment, groupId);
  try {
    while (collector.messages.length < total) await new Promise((resolve) => setTimeout(resolve, 100));
  } finally {
    await collector.stop();
  }
  const registry = createSchemaRegistry(config);
  return Promise.all(collector.messages.map(async (message) => (await registry.decode(message.value!)) as FulfillmentOrderRecord));
}

import type { Producer } from 'kafkajs';
import type { Config } from '../../src/config/config.ts';
import { orderEvent, paymentEventFor, toRecord, type KafkaRecord } from '../../src/dev/standins/events.ts';

// Free of vitest, so the benchmarks offer orders the same way the tests do.
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

/** Sends records of any topics in one batch. */
export async function sendRecords(producer: Producer, records: OrderStream['records']): Promise<void> {
  const byTopic = Map.groupBy(records, (entry) => entry.topic);
  await producer.sendBatch({ topicMessages: [...byTopic].map(([topic, entries]) => ({ topic, messages: entries.map((entry) => entry.record) })) });
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
    await sendRecords(producer, stream.records.slice(next, next + perTick));
    while (pending[0] && performance.now() - started >= pending[0][0]) await pending.shift()![1]();
    const due = started + ((next + perTick) / perSecond) * 1_000;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - performance.now())));
  }
  for (const [, fault] of pending) await fault();
}

import { expect, test } from 'vitest';
import { expectEveryOrderCompleted, orderStream, produceAtRate, readFulfillments } from '../../support/order-stream.ts';
import { untilReady, withRoleProcesses } from '../../support/roles.ts';

/**
 * The worker (every group) SIGKILLed twice mid-stream and restarted at once. Every order must still
 * complete, and no order may end up with two different fulfillment ids: a publication the dead worker
 * made but Temporal never recorded is made again on retry, with the same fulfillment id and key.
 * Those redeliveries are counted and reported.
 */
const { service: current, start } = withRoleProcesses();

test('worker SIGKILLed during a stream: 0 orders lost, 0 orders with two fulfillment ids; redeliveries counted', { timeout: 300_000 }, async () => {
  const service = current();
  let worker = start(['worker']);
  await untilReady(worker);
  await untilReady(start(['ingest']));

  const stream = orderStream(service.config, Array.from({ length: 300 }, (_, i) => service.orderId(`w${i}`)));
  const killAndRestart = async () => {
    await worker.kill('SIGKILL');
    worker = start(['worker']);
  };
  await produceAtRate(service.producer, stream, 40, [
    [4_000, killAndRestart],
    [9_000, killAndRestart],
  ]);
  const results = await expectEveryOrderCompleted(service.temporal, stream, 240_000);

  const messages = await readFulfillments(service.kafka, service.config, `${service.id}-check`);
  const byOrder = Map.groupBy(messages, (message) => message.orderId);
  expect([...byOrder.keys()].sort()).toEqual(stream.orders.map((order) => order.orderId).sort());
  for (const [orderId, published] of byOrder) {
    expect(new Set(published.map((message) => message.fulfillmentId)), orderId).toEqual(new Set([results.get(orderId)!.fulfillmentId]));
  }
  const redelivered = [...byOrder.values()].filter((published) => published.length > 1).length;
  console.log(
    `[figures] worker SIGKILL x2 during 300 orders: ${redelivered} orders redelivered (${((redelivered / stream.orders.length) * 100).toFixed(2)} %), ${messages.length} fulfillment messages`,
  );
});

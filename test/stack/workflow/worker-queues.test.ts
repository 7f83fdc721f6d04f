import { afterAll, beforeAll, expect, test, vi } from 'vitest';
import { randomPort } from '../../support/names.ts';
import { orderEvent, paymentEventFor, toRecord } from '../../../src/dev/standins/events.ts';
import { runOms, spawnOms } from '../../support/cli.ts';
import { startTestService, type TestService } from '../../support/service.ts';

let service: TestService;
beforeAll(async () => {
  // This process runs the workflows and the publishing and notification activities only.
  service = await startTestService({ workerGroups: ['workflows', 'fulfillment', 'notification'] });
});
afterAll(async () => {
  await service?.stop();
});

test('oms worker --queues storefront,payment,risk runs just those groups, and an order needs it to complete', { timeout: 120_000 }, async () => {
  const orderId = service.orderId('queues');
  await service.produce(service.config.topics.orderEvents, [toRecord(orderEvent('order.created', orderId))]);
  await service.produce(service.config.topics.paymentEvents, [toRecord(paymentEventFor('payment.authorized', orderId, `PAY-${orderId}`))]);
  // No storefront worker yet: validation waits on its task queue.
  await vi.waitFor(async () => expect((await service.orderStatus(orderId)).stage).toBe('validating'), { timeout: 30_000, interval: 250 });
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  expect((await service.orderStatus(orderId)).stage).toBe('validating');

  const port = randomPort();
  const worker = spawnOms(['worker', '--queues', 'storefront,payment,risk'], { ...service.env, HTTP_PORT: port, LOG_LEVEL: 'info' });
  try {
    await vi.waitFor(async () => expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200), { timeout: 60_000, interval: 250 });
    await vi.waitFor(async () => expect((await service.orderStatus(orderId)).stage).toBe('completed'), { timeout: 60_000, interval: 250 });
    const started = worker.output().split('\n').find((line) => line.includes('workers running'));
    expect(JSON.parse(started!)).toMatchObject({ taskQueues: [service.config.taskQueues.activities.storefront, service.config.taskQueues.activities.payment, service.config.taskQueues.activities.risk] });
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
  } finally {
    worker.child.kill('SIGKILL');
  }
});

test('oms worker --queues with an unknown group says which groups exist', async () => {
  const result = await runOms(['worker', '--queues', 'storefront,shipping'], service.env);
  expect(result.code).toBe(1);
  expect(result.stderr.trim()).toBe('oms: --queues: unknown group shipping; expected some of workflows, storefront, payment, fulfillment, notification, risk');
});

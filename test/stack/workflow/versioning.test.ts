import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, expect, test, vi } from 'vitest';
import { orderEvent, paymentEventFor, toRecord } from '../../../src/dev/standins/events.ts';
import { dataConverter, temporalSettings } from '../../../src/temporal/factory.ts';
import { orderWorkflowId } from '../../../src/contract/workflows.ts';
import { spawnOms } from '../../support/cli.ts';
import { randomPort } from '../../support/names.ts';
import { startTestService, type TestService } from '../../support/service.ts';

/**
 * A deploy of the risk-check change as operators do it: orders in flight on the v1 worker, the worker
 * replaced by today's `oms worker`, and those orders finish on the v1 path while new ones take v2.
 * The activity groups run in this process throughout; only the workflow worker changes.
 */
let service: TestService;
beforeAll(async () => {
  service = await startTestService({ workerGroups: ['storefront', 'payment', 'fulfillment', 'notification', 'risk'] });
});
afterAll(async () => {
  await service?.stop();
});

const until = (check: () => Promise<void>, timeout = 60_000) => vi.waitFor(check, { timeout, interval: 250 });
const stageOf = async (orderId: string) => (await service.orderStatus(orderId)).stage;
const produceOrder = (orderId: string) => service.produce(service.config.topics.orderEvents, [toRecord(orderEvent('order.created', orderId))]);
const producePayment = (orderId: string) => service.produce(service.config.topics.paymentEvents, [toRecord(paymentEventFor('payment.captured', orderId, `PAY-${orderId}`))]);
/** The query the order workflow's versions comment gives for the runs still on v1. */
const V1_RUNS = "WorkflowType = 'OrderProcessingWorkflow' AND ExecutionStatus = 'Running' AND TemporalChangeVersion IS NULL";
async function listed(query: string, orderIds: string[]): Promise<string[]> {
  const ids = new Set(orderIds.map(orderWorkflowId));
  const found: string[] = [];
  // This service's task queue only: the shared dev server holds thousands of other tests' runs, and
  // paging through them all took longer than the wait in a full-suite run.
  const mine = `${query} AND TaskQueue = '${service.config.taskQueues.orders}'`;
  for await (const run of service.temporal.workflow.list({ query: mine })) if (ids.has(run.workflowId)) found.push(run.workflowId);
  return found.sort();
}
const markers = async (orderId: string) =>
  (await service.temporal.workflow.getHandle(orderWorkflowId(orderId)).fetchHistory()).events!.filter((e) => e.markerRecordedEventAttributes).length;

test('orders started on the v1 worker finish on the v1 path after the worker is replaced by today\'s code; new orders take the risk check', { timeout: 180_000 }, async () => {
  const settings = temporalSettings(service.config);
  const connection = await NativeConnection.connect({ address: settings.address });
  const v1 = await Worker.create({
    connection,
    namespace: settings.namespace,
    taskQueue: service.config.taskQueues.orders,
    workflowsPath: fileURLToPath(new URL('../../fixtures/workflows-v1/index.ts', import.meta.url)),
    dataConverter: dataConverter(settings),
  });
  const v1Running = v1.run();
  const inFlight = [service.orderId('v1-a'), service.orderId('v1-b')];
  try {
    for (const orderId of inFlight) await produceOrder(orderId);
    await until(async () => expect(await Promise.all(inFlight.map(stageOf))).toEqual(['awaiting-payment', 'awaiting-payment']));
  } finally {
    v1.shutdown();
    await v1Running;
    await connection.close();
  }
  await until(async () => expect(await listed(V1_RUNS, inFlight)).toEqual(inFlight.map(orderWorkflowId).sort()));

  const port = randomPort();
  const v2 = spawnOms(['worker', '--queues', 'workflows'], { ...service.env, HTTP_PORT: port });
  try {
    await until(async () => expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200));
    const fresh = service.orderId('v2');
    await produceOrder(fresh);
    await until(async () => expect(await stageOf(fresh)).toBe('awaiting-payment'));
    // The new run is not in the v1 list; the two old ones still are until they finish.
    expect(await listed(V1_RUNS, [...inFlight, fresh])).toEqual(inFlight.map(orderWorkflowId).sort());

    for (const orderId of [...inFlight, fresh]) await producePayment(orderId);
    await until(async () => expect(await Promise.all([...inFlight, fresh].map(stageOf))).toEqual(['completed', 'completed', 'completed']));
    for (const orderId of inFlight) {
      const status = await service.orderStatus(orderId);
      expect(status.risk, orderId).toBeUndefined();
      expect(status.history.map((step) => step.step), orderId).not.toContain('risk');
      expect(await markers(orderId), orderId).toBe(0);
    }
    const v2Status = await service.orderStatus(fresh);
    expect(v2Status.risk).toMatchObject({ level: 'low', decision: 'passed' });
    expect(await markers(fresh)).toBe(2);
    await until(async () => expect(await listed(V1_RUNS, inFlight)).toEqual([]));
    expect(v2.output()).not.toMatch(/[Nn]ondeterminism/);
  } finally {
    v2.child.kill('SIGTERM');
    await v2.exited;
  }
});

import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, expect, test, vi } from 'vitest';
import { orderEvent, paymentEventFor, toRecord } from '../../../src/dev/standins/events.ts';
import { dataConverter, temporalSettings } from '../../../src/temporal/factory.ts';
import { LOCAL_GROUPS_ACTIVITY, ORDER_STAGE_ATTRIBUTE, orderWorkflowId } from '../../../src/contract/workflows.ts';
import { spawnOms } from '../../support/cli.ts';
import { randomPort } from '../../support/names.ts';
import { startTestService, type TestService } from '../../support/service.ts';

/**
 * Deploys as operators do them: orders in flight on an old workflow worker (v1: before the risk
 * check; v2: before fewer-steps; v3: before local-steps; v4: before stage-attribute), the worker replaced by today's `oms worker`,
 * and those orders finish on their own path while new ones take today's. The activity groups run in this process throughout
 * (today's activities serve every version); only the workflow worker changes.
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
const historyOf = async (orderId: string) => (await service.temporal.workflow.getHandle(orderWorkflowId(orderId)).fetchHistory()).events!;
const markers = async (orderId: string) => (await historyOf(orderId)).filter((e) => e.markerRecordedEventAttributes).length;
const activitiesOf = async (orderId: string) => (await historyOf(orderId)).map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name).filter((name): name is string => name !== undefined);

/** A workflow worker running a frozen version's code on the orders queue, until `body` is done with it. */
async function onOldWorker(fixture: string, body: () => Promise<void>): Promise<void> {
  const settings = temporalSettings(service.config);
  const connection = await NativeConnection.connect({ address: settings.address });
  const worker = await Worker.create({
    connection,
    namespace: settings.namespace,
    taskQueue: service.config.taskQueues.orders,
    workflowsPath: fileURLToPath(new URL(`../../fixtures/${fixture}/index.ts`, import.meta.url)),
    dataConverter: dataConverter(settings),
    // As a v4 workflows-only worker answers its runs' question: no group here is local (older versions never ask).
    activities: { [LOCAL_GROUPS_ACTIVITY]: () => Promise.resolve([]) },
  });
  const running = worker.run();
  try {
    await body();
  } finally {
    worker.shutdown();
    await running;
    await connection.close();
  }
}

test('orders started on the v1 worker finish on the v1 path after the worker is replaced by today\'s code; new orders take the risk check', { timeout: 180_000 }, async () => {
  const inFlight = [service.orderId('v1-a'), service.orderId('v1-b')];
  await onOldWorker('workflows-v1', async () => {
    for (const orderId of inFlight) await produceOrder(orderId);
    await until(async () => expect(await Promise.all(inFlight.map(stageOf))).toEqual(['awaiting-payment', 'awaiting-payment']));
  });
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
    // Today's runs take v4 (local-steps), which includes the risk check: one patch marker, not two,
    // and the marker of its question for local groups (none: this worker runs only the workflows).
    expect(await markers(fresh)).toBe(2);
    await until(async () => expect(await listed(V1_RUNS, inFlight)).toEqual([]));
    expect(v2.output()).not.toMatch(/[Nn]ondeterminism/);
  } finally {
    v2.child.kill('SIGTERM');
    await v2.exited;
  }
});

test("orders started on the v2 worker (before fewer-steps) finish on the v2 path after today's worker replaces it; new orders take fewer steps", { timeout: 180_000 }, async () => {
  const inFlight = [service.orderId('v2-a'), service.orderId('v2-b')];
  await onOldWorker('workflows-v2', async () => {
    for (const orderId of inFlight) await produceOrder(orderId);
    await until(async () => expect(await Promise.all(inFlight.map(stageOf))).toEqual(['awaiting-payment', 'awaiting-payment']));
  });

  const port = randomPort();
  const today = spawnOms(['worker', '--queues', 'workflows'], { ...service.env, HTTP_PORT: port });
  try {
    await until(async () => expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200));
    const fresh = service.orderId('v3');
    await produceOrder(fresh);
    await until(async () => expect(await stageOf(fresh)).toBe('awaiting-payment'));
    for (const orderId of [...inFlight, fresh]) await producePayment(orderId);
    await until(async () => expect(await Promise.all([...inFlight, fresh].map(stageOf))).toEqual(['completed', 'completed', 'completed']));
    for (const orderId of inFlight) {
      // The v2 path to the end: its two markers, its seven activities.
      expect(await markers(orderId), orderId).toBe(2);
      expect(await activitiesOf(orderId), orderId).toEqual(['validateOrder', 'enrichOrder', 'assessOrderRisk', 'reserveInventory', 'publishFulfillment', 'notifyCustomer', 'publishOrderStatus']);
      expect((await service.orderStatus(orderId)).history.map((step) => step.step), orderId).toEqual(expect.arrayContaining(['validate', 'enrich', 'risk', 'allocate', 'publish', 'notify']));
    }
    expect(await markers(fresh)).toBe(2);
    expect(await activitiesOf(fresh)).toEqual(['checkOrder', 'assessOrderRisk', 'reserveInventory', 'publishCompletion', 'notifyCustomer']);
    expect(today.output()).not.toMatch(/[Nn]ondeterminism/);
  } finally {
    today.child.kill('SIGTERM');
    await today.exited;
  }
});

test("orders started on the v3 worker (before local-steps) finish on the v3 path after today's worker, running every group, replaces it; new orders call the groups as local activities", { timeout: 180_000 }, async () => {
  const inFlight = [service.orderId('v3-a'), service.orderId('v3-b')];
  await onOldWorker('workflows-v3', async () => {
    for (const orderId of inFlight) await produceOrder(orderId);
    await until(async () => expect(await Promise.all(inFlight.map(stageOf))).toEqual(['awaiting-payment', 'awaiting-payment']));
  });

  // Today's worker as users run it by default: the workflows and every group in one process.
  const port = randomPort();
  const today = spawnOms(['worker'], { ...service.env, HTTP_PORT: port });
  try {
    await until(async () => expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200));
    const fresh = service.orderId('v4');
    await produceOrder(fresh);
    await until(async () => expect(await stageOf(fresh)).toBe('awaiting-payment'));
    for (const orderId of [...inFlight, fresh]) await producePayment(orderId);
    await until(async () => expect(await Promise.all([...inFlight, fresh].map(stageOf))).toEqual(['completed', 'completed', 'completed']));
    for (const orderId of inFlight) {
      // The v3 path to the end: its one marker, its five activities on their queues.
      expect(await markers(orderId), orderId).toBe(1);
      expect(await activitiesOf(orderId), orderId).toEqual(['checkOrder', 'assessOrderRisk', 'reserveInventory', 'publishCompletion', 'notifyCustomer']);
    }
    // v4: no activity task; the patch, the question and the five steps are markers.
    expect(await activitiesOf(fresh)).toEqual([]);
    expect(await markers(fresh)).toBe(7);
    expect(today.output()).not.toMatch(/[Nn]ondeterminism/);
  } finally {
    today.child.kill('SIGTERM');
    await today.exited;
  }
});

/** The stage attribute's values in a run's history, in order (null: unset). */
const stageUpserts = async (orderId: string) =>
  (await historyOf(orderId))
    .map((e) => e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields?.[ORDER_STAGE_ATTRIBUTE.name])
    .filter((field) => field !== undefined)
    .map((field) => (field.data?.length ? (JSON.parse(Buffer.from(field.data).toString()) as unknown) : null));

test("orders started on the v4 worker (before stage-attribute) finish without the attribute after today's worker replaces it; new orders show it only while they wait", { timeout: 180_000 }, async () => {
  const inFlight = [service.orderId('v4-a'), service.orderId('v4-b')];
  await onOldWorker('workflows-v4', async () => {
    for (const orderId of inFlight) await produceOrder(orderId);
    await until(async () => expect(await Promise.all(inFlight.map(stageOf))).toEqual(['awaiting-payment', 'awaiting-payment']));
  });

  const port = randomPort();
  const today = spawnOms(['worker'], { ...service.env, HTTP_PORT: port });
  try {
    await until(async () => expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200));
    const fresh = service.orderId('v5');
    await produceOrder(fresh);
    await until(async () => expect(await stageOf(fresh)).toBe('awaiting-payment'));
    const waiting = `WorkflowType = 'OrderProcessingWorkflow' AND ExecutionStatus = 'Running' AND ${ORDER_STAGE_ATTRIBUTE.name} = 'awaiting-payment'`;
    // Only today's run is counted as waiting: the v4 runs never set the attribute.
    await until(async () => expect(await listed(waiting, [...inFlight, fresh])).toEqual([orderWorkflowId(fresh)]));
    for (const orderId of [...inFlight, fresh]) await producePayment(orderId);
    await until(async () => expect(await Promise.all([...inFlight, fresh].map(stageOf))).toEqual(['completed', 'completed', 'completed']));
    for (const orderId of inFlight) expect(await stageUpserts(orderId), orderId).toEqual([]);
    // v5: set on entering the wait, unset on leaving it; its marker replaces v4's.
    expect(await stageUpserts(fresh)).toEqual(['awaiting-payment', null]);
    expect(await markers(fresh)).toBe(7);
    await until(async () => expect(await listed(waiting, [fresh])).toEqual([]));
    expect(today.output()).not.toMatch(/[Nn]ondeterminism/);
  } finally {
    today.child.kill('SIGTERM');
    await today.exited;
  }
});

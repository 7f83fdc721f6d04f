import { expect, test, vi } from 'vitest';
import { orderEvent, paymentEventFor, toRecord } from '../../../src/dev/standins/events.ts';
import type { ServiceStatus } from '../../../src/service/status.ts';
import { runOms } from '../../support/cli.ts';
import { untilReady, withRoleProcesses } from '../../support/roles.ts';

/**
 * Orphaned work, as operators meet it: the workflows group runs, the storefront group doesn't, and an
 * order's first activity waits on a queue nobody polls. The roles run as `oms` processes; `oms status`
 * runs as an operator runs it, at its default threshold.
 */
const { service, start } = withRoleProcesses();

const status = async () => {
  const result = await runOms(['status', '--json'], service().env);
  if (result.stdout.trim() === '') throw new Error(`oms status printed nothing: ${result.stderr}`);
  return { code: result.code, status: JSON.parse(result.stdout) as ServiceStatus };
};
const queue = (of: ServiceStatus, name: string) => of.queues.find((entry) => entry.taskQueue === name)!;

test('a queue with no poller: orphaned in the workflows worker\'s metrics, then in oms status at the default 60 s (exit 2); served again once its worker starts; DLQ depth and lag shown', { timeout: 300_000 }, async () => {
  const { config } = service();
  const storefrontQueue = config.taskQueues.activities.storefront;
  // The worker's threshold is low, to see the metric soon; `oms status` below runs at the default.
  const workflows = start(['worker', '--queues', 'workflows'], { TASK_QUEUE_ORPHANED_AFTER_S: '2', HEALTH_POLL_INTERVAL_S: '1', LOG_LEVEL: 'warn' });
  const ingest = start(['ingest'], { HEALTH_POLL_INTERVAL_S: '1' });
  await Promise.all([untilReady(workflows, 120_000), untilReady(ingest)]);

  const orderId = service().orderId('orphan');
  const sentAt = Date.now();
  await service().produce(config.topics.orderEvents, [toRecord(orderEvent('order.created', orderId)), { key: orderId, value: '{"specversion": "1.0", "id": ' }]);

  const orphanedMetric = new RegExp(`^oms_task_queue_orphaned\\{task_queue="${storefrontQueue}",type="activity"\\} 1$`, 'm');
  await vi.waitFor(async () => expect(await (await fetch(`${workflows.base}/metrics`)).text()).toMatch(orphanedMetric), { timeout: 60_000, interval: 500 });
  // The log line is written asynchronously (pino), after the metric is set: wait for it too.
  await vi.waitFor(() => expect(workflows.output()).toMatch(/task queue orphaned/), { timeout: 10_000, interval: 100 });
  await vi.waitFor(async () => expect(await ingest.counter('oms_ingest_dlq_depth')).toBe(1), { timeout: 30_000, interval: 500 });

  // Before the default threshold: work waits, nobody polls, not yet orphaned.
  const early = await status();
  if (Date.now() - sentAt < 50_000) {
    expect(queue(early.status, storefrontQueue)).toMatchObject({ state: 'waiting', pollers: [], backlog: 1 });
    expect(early.code).toBe(0);
  }
  let late = early;
  await vi.waitFor(
    async () => {
      late = await status();
      expect(queue(late.status, storefrontQueue).state).toBe('orphaned');
    },
    { timeout: 150_000, interval: 3_000 },
  );
  const orphanedAfter = (Date.now() - sentAt) / 1_000;
  console.log(`[figures] storefront queue without a worker: orphaned in oms status ${orphanedAfter.toFixed(0)} s after the order (threshold 60 s)`);
  expect(orphanedAfter).toBeGreaterThanOrEqual(60);
  expect(late.code).toBe(2);
  expect(queue(late.status, config.taskQueues.orders)).toMatchObject({ type: 'workflow', state: 'ok' });
  expect(queue(late.status, config.taskQueues.orders).pollers.length).toBeGreaterThan(0);
  expect(late.status.dlq.find((entry) => entry.topic === `${config.topics.orderEvents}.dlq`)?.depth).toBe(1);
  expect(late.status.ingest.members).toHaveLength(1);
  expect(late.status.ingest.lag.find((entry) => entry.topic === config.topics.orderEvents)?.lag).toBe(0);
  const text = await runOms(['status'], service().env);
  expect(text.stdout).toMatch(new RegExp(`^ +${storefrontQueue} +activity +0 +1 +\\d+s +\\S+ +\\S+ +ORPHANED$`, 'm'));

  // The storefront group (and the rest) starts: the work is done, the queue is served again.
  const rest = start(['worker', '--queues', 'storefront,payment,fulfillment,notification,risk'], { HEALTH_POLL_INTERVAL_S: '1' });
  await untilReady(rest, 120_000);
  await service().produce(config.topics.paymentEvents, [toRecord(paymentEventFor('payment.authorized', orderId, `PAY-${orderId}`))]);
  await vi.waitFor(async () => expect((await service().orderStatus(orderId)).stage).toBe('completed'), { timeout: 90_000, interval: 500 });
  console.log(`[figures] peak RSS: worker --queues workflows ${(await workflows.peakRssMb()).toFixed(0)} MB, the five activity groups in one worker ${(await rest.peakRssMb()).toFixed(0)} MB, ingest ${(await ingest.peakRssMb()).toFixed(0)} MB`);
  // The server's backlog count is approximate and catches up a few seconds after the tasks are done.
  await vi.waitFor(
    async () => {
      const after = await status();
      expect(after.code).toBe(0);
      expect(queue(after.status, storefrontQueue)).toMatchObject({ state: 'ok', backlog: 0 });
    },
    { timeout: 30_000, interval: 1_000 },
  );
  await vi.waitFor(async () => expect(await (await fetch(`${workflows.base}/metrics`)).text()).toMatch(new RegExp(`^oms_task_queue_orphaned\\{task_queue="${storefrontQueue}",type="activity"\\} 0$`, 'm')), { timeout: 30_000, interval: 500 });
});

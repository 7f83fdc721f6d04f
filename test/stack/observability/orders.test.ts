import type { KafkaMessage } from 'kafkajs';
import { beforeAll, describe, expect, inject, test, vi } from 'vitest';
import { cloudEvent, orderEvent, paymentEventFor, toRecord } from '../../../src/dev/standins/events.ts';
import { seededOrder } from '../../../src/dev/standins/seed.ts';
import { reviewCommand } from '../../../src/dev/demo/demo-events.ts';
import { orderWorkflowId, TRACE_MEMO, type OrderStage } from '../../../src/contract/workflows.ts';
import type { OrderLookup } from '../../../src/service/order-lookup.ts';
import { readRange } from '../../../src/replay/reader.ts';
import { runOms } from '../../support/cli.ts';
import { untilReady, withRoleProcesses, type RoleProcess } from '../../support/roles.ts';

/**
 * Orders counted and found as operators run the service: `oms ingest` and two `oms worker` processes
 * (every group each, the defaults), traced to the stack's Zipkin. The order metrics are summed over
 * both workers' /metrics; the waiting gauge is read from each (both count the same visibility store,
 * every HEALTH_POLL_INTERVAL_S, its default); `oms order` runs as the support person runs it.
 */
const { service, start } = withRoleProcesses();
let workers: RoleProcess[];
let zipkin: string;
const traced = () => ({ OTEL_TRACES_EXPORTER: 'zipkin', OTEL_EXPORTER_ZIPKIN_ENDPOINT: `${zipkin}/api/v2/spans` });

beforeAll(async () => {
  zipkin = inject('stack').zipkinUrl!;
  const ingest = start(['ingest'], traced());
  workers = [start(['worker'], traced()), start(['worker'], traced())];
  await Promise.all([ingest, ...workers].map((role) => untilReady(role, 120_000)));
}, 180_000);

const metricsOf = async (role: RoleProcess) => (await fetch(`${role.base}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();

/** The value of one series (its labels a superset of `labels`) summed over its label sets, in OpenMetrics or Prometheus text. */
function valueIn(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const match of text.matchAll(new RegExp(`^${name}(?:\\{([^}]*)\\})? (\\S+)(?: #.*)?$`, 'gm'))) {
    const found = new Map([...(match[1] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((pair) => [pair[1]!, pair[2]!] as const));
    if (Object.entries(labels).every(([key, value]) => found.get(key) === value)) sum += Number(match[2]);
  }
  return sum;
}
const summed = async (name: string, labels: Record<string, string> = {}) => (await Promise.all(workers.map(async (worker) => valueIn(await metricsOf(worker), name, labels)))).reduce((a, b) => a + b, 0);

const until = (check: () => Promise<void>, timeout = 90_000) => vi.waitFor(check, { timeout, interval: 500 });
const stageOf = async (orderId: string) => (await service().orderStatus(orderId)).stage;
const reaches = (orderId: string, stage: OrderStage) => until(async () => expect(await stageOf(orderId)).toBe(stage));
const produceOrder = (orderId: string) => service().produce(service().config.topics.orderEvents, [toRecord(orderEvent('order.created', orderId))]);
const pay = (orderId: string) => service().produce(service().config.topics.paymentEvents, [toRecord(paymentEventFor('payment.authorized', orderId, `PAY-${orderId}`))]);
const cancel = (orderId: string) => service().produce(service().config.topics.orderEvents, [toRecord(cloudEvent('order.cancelled', orderId, { orderId, reason: 'customer changed their mind' }))]);
const approve = (orderId: string) => service().produce(service().config.topics.supportCommands, [reviewCommand(orderId)]);
const setStock = (sku: string, available: number) => fetch(`${service().storefront.url}/inventory/${sku}`, { method: 'PUT', body: JSON.stringify({ available }) });

const OUTCOMES = ['completed', 'cancelled', 'failed', 'held_for_review'] as const;
const outcomes = async () => Object.fromEntries(await Promise.all(OUTCOMES.map(async (outcome) => [outcome, await summed('oms_orders_total', { outcome })] as const)));
const fulfilled = () => summed('oms_order_fulfillment_seconds_count');

const completedOrders: string[] = [];
let cancelledOrder: string;

describe('the order metrics, summed over two worker processes', () => {
  test('the outcome counters and the latency histogram move once per order as orders complete, wait for review, are cancelled and fail', { timeout: 240_000 }, async () => {
    const before = await outcomes();
    const fulfilledBefore = await fulfilled();
    const latencyBefore = await summed('oms_order_fulfillment_seconds_sum');

    const normal = [1, 2, 3].map((n) => service().orderId(`m${n}`));
    const risky = service().orderId('RISK-m');
    cancelledOrder = service().orderId('mcancel');
    for (const orderId of [...normal, risky, cancelledOrder]) await produceOrder(orderId);
    for (const orderId of [...normal, risky]) await pay(orderId);
    await reaches(risky, 'awaiting-review');
    await reaches(cancelledOrder, 'awaiting-payment');
    await cancel(cancelledOrder);
    await approve(risky);
    for (const orderId of [...normal, risky]) await reaches(orderId, 'completed');
    await reaches(cancelledOrder, 'cancelled');
    completedOrders.push(...normal, risky);

    // Out of stock after payment: compensated, FAILED. Alone, so no other order meets the empty shelf.
    const failing = service().orderId('mfail');
    const sku = seededOrder(failing)!.lines[0]!.sku;
    await setStock(sku, 0);
    try {
      await produceOrder(failing);
      await pay(failing);
      await reaches(failing, 'failed');
    } finally {
      await setStock(sku, 1_000_000);
    }

    const expected = { completed: before.completed! + 4, cancelled: before.cancelled! + 1, failed: before.failed! + 1, held_for_review: before.held_for_review! + 1 };
    await until(async () => expect(await outcomes()).toEqual(expected), 30_000);
    expect(await fulfilled()).toBe(fulfilledBefore + 4);
    // From each first event's CloudEvents time to its fulfilment: seconds here, never negative.
    const latency = (await summed('oms_order_fulfillment_seconds_sum')) - latencyBefore;
    expect(latency).toBeGreaterThan(0);
    expect(latency).toBeLessThan(4 * 120);
  });

  test("the latency histogram carries exemplars (OpenMetrics) whose trace id is a fulfilled order's trace", async () => {
    const texts = await Promise.all(workers.map(metricsOf));
    const exemplars = texts.flatMap((text) => [...text.matchAll(/^oms_order_fulfillment_seconds_bucket\{[^}]*\} \S+ # \{trace_id="([0-9a-f]{32})"\} \S+ \S+$/gm)].map((match) => match[1]!));
    expect(exemplars.length).toBeGreaterThan(0);
    const traces = await Promise.all(completedOrders.map(async (orderId) => (await service().temporal.workflow.getHandle(orderWorkflowId(orderId)).describe()).memo?.[TRACE_MEMO]));
    expect(traces.every((trace) => typeof trace === 'string' && /^[0-9a-f]{32}$/.test(trace))).toBe(true);
    expect(traces).toEqual(expect.arrayContaining([exemplars[0]]));
    expect(texts.every((text) => text.trimEnd().endsWith('# EOF'))).toBe(true);
  });

  test('activity latency and attempts are counted per group, on both workers together', async () => {
    for (const group of ['storefront', 'payment', 'fulfillment', 'notification', 'risk']) {
      expect(await summed('oms_activity_duration_seconds_count', { group }), group).toBeGreaterThan(0);
      expect(await summed('oms_activity_attempt_count', { group }), group).toBeGreaterThan(0);
    }
    // The out-of-stock reservation failed (non-retryable), and was counted as such.
    expect(await summed('oms_activity_duration_seconds_count', { group: 'storefront', activity: 'reserveInventory', outcome: 'failed' })).toBeGreaterThanOrEqual(1);
  });
});

describe('orders waiting in a long stage', () => {
  test('each worker counts the orders waiting for payment and for review from visibility, the same figure on both, and follows them out', { timeout: 240_000 }, async () => {
    const waiting = [1, 2, 3].map((n) => service().orderId(`w${n}`));
    const risky = service().orderId('RISK-w');
    for (const orderId of waiting) await produceOrder(orderId);
    await produceOrder(risky);
    await pay(risky);
    for (const orderId of waiting) await reaches(orderId, 'awaiting-payment');
    await reaches(risky, 'awaiting-review');
    const gauges = async (stage: string) => Promise.all(workers.map(async (worker) => valueIn(await metricsOf(worker), 'oms_orders_waiting', { stage })));
    await until(async () => {
      expect(await gauges('awaiting-payment')).toEqual([3, 3]);
      expect(await gauges('awaiting-review')).toEqual([1, 1]);
    });
    // Out by each way at once (paid, approved, cancelled): one more poll, not one per way.
    await pay(waiting[0]!);
    await approve(risky);
    for (const orderId of waiting.slice(1)) await cancel(orderId);
    await reaches(waiting[0]!, 'completed');
    await until(async () => {
      expect(await gauges('awaiting-payment')).toEqual([0, 0]);
      expect(await gauges('awaiting-review')).toEqual([0, 0]);
    });
  });
});

describe('oms order', () => {
  const env = () => ({ ...service().env, TRACE_VIEWER_URL: `${zipkin}/zipkin/traces/{traceId}`, TEMPORAL_UI_URL: 'http://127.0.0.1:8233' });
  const lookup = async (orderId: string) => {
    const result = await runOms(['order', orderId, '--json'], env(), 90_000);
    expect(result.code, result.stderr).toBe(0);
    return JSON.parse(result.stdout) as OrderLookup;
  };
  const text = async (orderId: string) => {
    const result = await runOms(['order', orderId], env(), 90_000);
    expect(result.code, result.stderr).toBe(0);
    return result.stdout;
  };

  /** Exactly the record at topic/partition@offset. */
  async function recordAt(topic: string, partition: number, offset: string): Promise<KafkaMessage> {
    const found: KafkaMessage[] = [];
    await readRange(service().kafka, topic, [{ partition, start: BigInt(offset), end: BigInt(offset) + 1n }], async ({ message }) => void found.push(message));
    expect(found).toHaveLength(1);
    return found[0]!;
  }

  test('a completed order: status and stage, its events, payment and risk, the statuses published, the fulfilment record where it is, the trace and the links', { timeout: 120_000 }, async () => {
    const orderId = completedOrders.at(-1)!; // the high-risk one, approved
    const found = await lookup(orderId);
    expect(found.order).toMatchObject({ workflowId: orderWorkflowId(orderId), status: 'COMPLETED', stage: 'completed' });
    expect(found.order!.events.map((event) => event.type)).toEqual(['order.created', 'payment.validated', 'order.review']);
    expect(found.order!.events[0]!.time).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(found.order!.risk).toMatchObject({ level: 'high', decision: 'approved', reviewer: 'demo' });
    expect(found.payment).toMatchObject({ state: 'validated', paymentId: `PAY-${orderId}` });
    expect(found.order!.published.filter((record) => record.kind === 'status').map((record) => record.status)).toEqual(['IN_REVIEW', 'COMPLETED']);
    const fulfillment = found.order!.fulfillment!;
    expect(fulfillment).toMatchObject({ kind: 'fulfillment', topic: service().config.topics.fulfillment });
    expect(fulfillment.fulfillmentId).toMatch(/^ful-/);
    // The record is where it says.
    const record = await recordAt(fulfillment.topic, fulfillment.partition, fulfillment.offset);
    expect(record.key?.toString()).toBe(orderId);
    expect(found.deadLetters).toEqual([]);
    expect(found.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(found.links.trace).toBe(`${zipkin}/zipkin/traces/${found.traceId}`);
    expect(found.links.temporal).toBe(`http://127.0.0.1:8233/namespaces/${service().config.temporal.namespace}/workflows/${orderWorkflowId(orderId)}/${found.order!.runId}/history`);

    const screen = await text(orderId);
    expect(screen).toContain(`order ${orderId}`);
    expect(screen).toMatch(/workflow +order-\S+ COMPLETED, stage completed/);
    expect(screen).toMatch(/order\.created +\S+/);
    expect(screen).toMatch(/risk +score \d+ \(high\), approved by demo/);
    expect(screen).toMatch(/IN_REVIEW +\S+\/\d+@\d+/);
    expect(screen).toContain(`fulfilment   ${fulfillment.fulfillmentId} at ${fulfillment.topic}/${fulfillment.partition}@${fulfillment.offset}`);
    expect(screen).toContain(`trace        ${found.traceId}`);
    expect(screen).toContain(found.links.trace!);
  });

  test('a cancelled order, and a dead-lettered one (its event never reached Temporal), and a dead letter of a completed order', { timeout: 120_000 }, async () => {
    const cancelled = await lookup(cancelledOrder);
    expect(cancelled.order).toMatchObject({ stage: 'cancelled' });
    expect(cancelled.order!.published.map((record) => record.status)).toEqual(['CANCELLED']);
    expect(cancelled.order!.fulfillment).toBeUndefined();
    expect(cancelled.payment).toBeUndefined();
    expect(await text(cancelledOrder)).toMatch(/fulfilment +not published/);

    const poisoned = service().orderId('mdead');
    await service().produce(service().config.topics.orderEvents, [{ ...toRecord(orderEvent('order.created', poisoned)), value: '{"specversion":"1.0","id":' }]);
    const completed = completedOrders[0]!;
    await service().produce(service().config.topics.paymentEvents, [toRecord(cloudEvent('payment.captured', completed, { orderId: completed, amount: 'lots' }))]);

    await until(async () => expect((await lookup(poisoned)).deadLetters).toHaveLength(1));
    const dead = await lookup(poisoned);
    expect(dead.order).toBeUndefined();
    expect(dead.deadLetters[0]).toMatchObject({ topic: `${service().config.topics.orderEvents}.dlq`, originalTopic: service().config.topics.orderEvents, });
    expect(dead.deadLetters[0]!.reason).not.toBe('unknown');
    // Bounded: one partition of each DLQ was read.
    expect(new Set(dead.deadLetterSearch.partitions.map((p) => p.topic)).size).toBe(dead.deadLetterSearch.partitions.length);
    const screen = await text(poisoned);
    expect(screen).toMatch(/workflow +none: no event of this order reached Temporal/);
    expect(screen).toMatch(new RegExp(`dead letters 1 \\(searched .*${service().config.topics.orderEvents}\\.dlq/\\d+`));

    await until(async () => expect((await lookup(completed)).deadLetters).toHaveLength(1));
    const both = await lookup(completed);
    expect(both.order).toMatchObject({ stage: 'completed' });
    expect(both.deadLetters[0]).toMatchObject({ topic: `${service().config.topics.paymentEvents}.dlq`, eventType: 'payment.captured' });
  });

  test('an unknown order: one line, exit code 1, in text and --json', async () => {
    for (const args of [[], ['--json']]) {
      const result = await runOms(['order', service().orderId('never'), ...args], env(), 90_000);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      const lines = result.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^oms order: no order ORD-\S+-never: no workflow in namespace \S+ and no dead letter since \S+$/);
    }
  });
});

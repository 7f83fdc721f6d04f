import { availableParallelism } from 'node:os';
import type { FulfillmentOrderRecord } from '../../src/avro/schemas.ts';
import { createSchemaRegistry } from '../../src/avro/publisher.ts';
import { startPaymentProviderStandin } from '../../src/dev/standins/payment-provider.ts';
import { startRiskServiceStandin } from '../../src/dev/standins/risk-service.ts';
import { startStorefrontStandin } from '../../src/dev/standins/storefront.ts';
import { collectTopic } from '../../src/kafka/client.ts';
import { orderStream, produceAtRate } from '../support/order-records.ts';
import { startRole } from '../support/role-process.ts';
import { cpuSeconds, machineBusySeconds, percentile, temporalServerPid, until, type Bench } from './harness.ts';

export interface LoadFigures {
  offeredPerSecond: number;
  orders: number;
  fulfilledPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  storefrontPerSecond: number;
  storefront429: number;
  /** Cores used while the orders were offered and fulfilled: each process, and the whole machine. */
  cores: { temporal: number; worker: number; ingest: number; standins: number; machine: number };
  workerPeakRssMb: number;
  /** The Temporal server's CPU while the orders ran, per order fulfilled. */
  temporalCpuMsPerOrder: number;
  /** The orders offered, for a look at their workflows. */
  orderIds: string[];
  /** What held the rate: the storefront limit, the CPU, or neither (offered below saturation). */
  bound: string;
}

/**
 * The whole path at a fixed offered rate: `oms ingest` and `oms worker` as processes, the stand-ins at
 * their defaults (the storefront allows 150 requests in any second), orders offered for `seconds`.
 * Latency runs from an order's order.created on the inbound topic to its FulfillmentOrder message
 * (both Kafka message timestamps); the fulfilled rate, from the first fulfilment to the last.
 */
export async function ordersUnderLoad(
  bench: Bench,
  offeredPerSecond: number,
  seconds: number,
  roleEnv: Record<string, string> = {},
  /** Run the storefront group in this many processes of its own, sharing the limit through Redis; the other groups in one more. */
  storefrontWorkers?: number,
  /** The roles' `oms` entry: another checkout's, to compare against it (default: this one). */
  entry?: string,
): Promise<LoadFigures> {
  const storefront = await startStorefrontStandin({ rateLimitRps: 150 });
  const payments = await startPaymentProviderStandin();
  const risk = await startRiskServiceStandin();
  const { id, env, config } = bench.service({ storefront: storefront.url, paymentProvider: payments.url, risk: risk.url }, roleEnv);
  const shared = { ...env, STOREFRONT_LIMITER_REDIS_URL: bench.stack.redisUrl, STOREFRONT_LIMITER_ID: `${id}-limit` };
  const workers =
    storefrontWorkers === undefined
      ? [startRole(['worker'], env, entry)]
      : [startRole(['worker', '--queues', 'workflows,payment,fulfillment,notification,risk'], shared, entry), ...Array.from({ length: storefrontWorkers }, () => startRole(['worker', '--queues', 'storefront'], shared, entry))];
  const roles = [startRole(['ingest'], env, entry), ...workers];
  let fulfilled: Awaited<ReturnType<typeof collectTopic>> | undefined;
  try {
    await Promise.all(roles.map((role) => until(() => fetch(`${role.base}/readyz`).then((r) => r.status, () => 0), (status) => status === 200, 120_000, `${role.args[0]} ready`)));
    // The worker has created the fulfillment topic by now.
    const collector = (fulfilled = await collectTopic(bench.kafka, config.topics.fulfillment, `${id}-bench-reader`));
    const count = offeredPerSecond * seconds;
    const temporal = await temporalServerPid(bench.stack.temporalAddress);
    const [ingest, worker] = roles;
    const usage = async () => ({
      at: performance.now(),
      temporal: temporal === undefined ? Number.NaN : await cpuSeconds(temporal),
      worker: (await Promise.all(workers.map((role) => cpuSeconds(role.pid)))).reduce((sum, n) => sum + n, 0),
      ingest: await cpuSeconds(ingest!.pid),
      // The stand-ins answer in this process.
      standins: process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6,
      machine: await machineBusySeconds(),
    });
    const before = await usage();
    // Two events an order: its order.created and its payment.authorized.
    const orderIds = Array.from({ length: count }, (_, i) => `ORD-${id}-${i}`);
    await produceAtRate(bench.producer, orderStream(config, orderIds), offeredPerSecond * 2);
    await until(async () => collector.messages.length, (n) => n >= count, 300_000, `all ${count} orders fulfilled`, 500);
    const after = await usage();
    const wall = (after.at - before.at) / 1_000;
    const cores = {
      temporal: (after.temporal - before.temporal) / wall,
      worker: (after.worker - before.worker) / wall,
      ingest: (after.ingest - before.ingest) / wall,
      standins: (after.standins - before.standins) / wall,
      machine: (after.machine - before.machine) / wall,
    };
    const inbound = await collectTopic(bench.kafka, config.topics.orderEvents, `${id}-bench-inbound`);
    const created = new Map<string, number>();
    try {
      await until(async () => inbound.messages.length, (n) => n >= count, 60_000, `reading back ${count} order.created events`);
      for (const message of inbound.messages) created.set(message.key!.toString(), Number(message.timestamp));
    } finally {
      await inbound.stop();
    }
    const workerPeakRssMb = await worker!.peakRssMb();
    const registry = createSchemaRegistry(config);
    const done = await Promise.all(
      collector.messages.map(async (message) => ({ record: (await registry.decode(message.value!)) as FulfillmentOrderRecord, at: Number(message.timestamp) })),
    );
    const firstByOrder = new Map<string, number>();
    for (const { record, at } of done) if (!firstByOrder.has(record.orderId)) firstByOrder.set(record.orderId, at);
    const latencies = [...firstByOrder].map(([orderId, at]) => at - created.get(orderId)!).sort((a, b) => a - b);
    const times = [...firstByOrder.values()].sort((a, b) => a - b);
    const stats = storefront.stats();
    const busySeconds = Object.values(stats.perSecond);
    const storefrontPerSecond = busySeconds.reduce((sum, n) => sum + n, 0) / Math.max(1, busySeconds.length);
    const fulfilledPerSecond = (times.length - 1) / ((times.at(-1)! - times[0]!) / 1_000);
    const machineCores = availableParallelism();
    const bound =
      fulfilledPerSecond >= 0.95 * offeredPerSecond
        ? 'none: the offered rate'
        : storefrontPerSecond >= 0.9 * 150
          ? 'the storefront limit'
          : cores.machine >= 0.85 * machineCores
            ? `CPU (${cores.machine.toFixed(2)} of ${machineCores} cores busy)`
            : 'neither the limit nor the CPU: latency in the Temporal server';
    return {
      offeredPerSecond,
      orders: firstByOrder.size,
      fulfilledPerSecond,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      storefrontPerSecond,
      storefront429: stats.rejected,
      cores,
      workerPeakRssMb,
      temporalCpuMsPerOrder: ((after.temporal - before.temporal) * 1_000) / Math.max(1, firstByOrder.size),
      orderIds,
      bound,
    };
  } finally {
    await fulfilled?.stop();
    await Promise.all(roles.map((role) => role.kill('SIGKILL')));
    await storefront.close();
    await payments.close();
    await risk.close();
  }
}

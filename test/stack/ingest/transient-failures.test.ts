import { Registry } from 'prom-client';
import { afterAll, beforeAll, expect, inject, test, vi } from 'vitest';
import { loadConfig } from '../../../src/config/config.ts';
import { startIngest, type RunningIngest } from '../../../src/service/ingest.ts';
import { orderEvent, toRecord } from '../../../src/dev/standins/events.ts';
import { startTestService, type TestService } from '../../support/service.ts';
import { committedPositions, uncommitted } from '../../support/offsets.ts';
import { startTcpProxy } from '../../support/tcp-proxy.ts';

let service: TestService;
let proxy: Awaited<ReturnType<typeof startTcpProxy>>;
let ingest: RunningIngest;
const registry = new Registry();

beforeAll(async () => {
  // Workers reach Temporal directly; only ingest goes through the proxy we can cut.
  service = await startTestService({ ingest: false });
  proxy = await startTcpProxy(inject('stack').temporalAddress);
  ingest = await startIngest(loadConfig({ ...service.env, TEMPORAL_ADDRESS: proxy.address }), service.logger, registry);
});
afterAll(async () => {
  proxy?.restore();
  await ingest?.stop();
  await service?.stop();
  await proxy?.close();
});

const transientFailures = async () => (await registry.getSingleMetric('oms_ingest_transient_failures_total')!.get()).values.reduce((sum, v) => sum + v.value, 0);

test('while Temporal is unreachable, ingest retries with backoff and commits nothing; when it returns, every event goes through', async () => {
  const topic = service.config.topics.orderEvents;
  const before = service.orderId('before-outage');
  await service.produce(topic, [toRecord(orderEvent('order.created', before))]);
  await vi.waitFor(async () => expect((await service.orderStatus(before)).orderReceived).toBe(true), { timeout: 30_000, interval: 200 });
  const allCommitted = () => vi.waitFor(async () => expect(await uncommitted(service.kafka, service.config.ingest.groupId, topic)).toBe(0), { timeout: 15_000, interval: 200 });
  await allCommitted();
  const committedBefore = await committedPositions(service.kafka, service.config.ingest.groupId, topic);

  proxy.cut();
  const during = Array.from({ length: 6 }, (_, n) => service.orderId(`outage-${n}`));
  await service.produce(topic, during.map((orderId) => toRecord(orderEvent('order.created', orderId))));
  await vi.waitFor(async () => expect(await transientFailures()).toBeGreaterThanOrEqual(6), { timeout: 30_000, interval: 200 });
  // Held: two more seconds of retrying, and the committed positions have not moved.
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  expect((await committedPositions(service.kafka, service.config.ingest.groupId, topic)).map((p) => p.committed)).toEqual(committedBefore.map((p) => p.committed));
  expect(ingest.isReady()).toBe(true);

  proxy.restore();
  for (const orderId of during) {
    await vi.waitFor(async () => expect((await service.orderStatus(orderId)).orderReceived).toBe(true), { timeout: 60_000, interval: 250 });
  }
  await allCommitted();
});

test('stopping while a partition is held abandons the retry promptly and commits nothing past the stuck message', async () => {
  const topic = service.config.topics.orderEvents;
  await vi.waitFor(async () => expect(await uncommitted(service.kafka, service.config.ingest.groupId, topic)).toBe(0), { timeout: 15_000, interval: 200 });
  proxy.cut();
  const stuck = service.orderId('stuck');
  const failuresBefore = await transientFailures();
  await service.produce(topic, [toRecord(orderEvent('order.created', stuck))]);
  await vi.waitFor(async () => expect(await transientFailures()).toBeGreaterThan(failuresBefore), { timeout: 30_000, interval: 200 });

  const started = performance.now();
  await ingest.stop();
  const stopSeconds = (performance.now() - started) / 1_000;
  console.log(`[figures] ingest stopped ${stopSeconds.toFixed(2)} s after stop() while a partition was held`);
  expect(stopSeconds).toBeLessThan(service.config.shutdownGraceMs / 1_000);
  // Exactly one message (the stuck one) is uncommitted: it will be redelivered.
  expect(await uncommitted(service.kafka, service.config.ingest.groupId, topic)).toBe(1);
});

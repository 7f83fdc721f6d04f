import { afterAll, beforeAll, expect, test, vi } from 'vitest';
import { orderEvent, toRecord } from '../../../src/dev/standins/events.ts';
import { startTestService, type TestService } from '../../support/service.ts';

let service: TestService;
beforeAll(async () => {
  service = await startTestService();
});
afterAll(async () => {
  await service?.stop();
});

const ORDERS = 100;
const EVENTS_PER_ORDER = 10;

test('1,000 events for 100 orders over 3 partitions: every workflow saw its own events in production order', { timeout: 180_000 }, async () => {
  const orderIds = Array.from({ length: ORDERS }, (_, i) => service.orderId(i));
  const produced = new Map<string, string[]>(orderIds.map((id) => [id, []]));
  const records = [];
  // Interleaved: round r carries event r of every order, so each partition mixes many orders.
  for (let round = 0; round < EVENTS_PER_ORDER; round++) {
    for (const orderId of orderIds) {
      const event = orderEvent(round === 0 ? 'order.created' : 'order.updated', orderId);
      produced.get(orderId)!.push(event.id);
      records.push(toRecord(event));
    }
  }
  const admin = service.kafka.admin();
  await admin.connect();
  const partitions = (await admin.fetchTopicMetadata({ topics: [service.config.topics.orderEvents] })).topics[0]!.partitions;
  await admin.disconnect();
  expect(partitions).toHaveLength(3);

  const started = performance.now();
  await service.produce(service.config.topics.orderEvents, records);
  await vi.waitFor(
    async () => {
      const signalled = await service.registry.getSingleMetric('oms_ingest_events_signalled_total')!.get();
      expect(signalled.values.reduce((sum, v) => sum + v.value, 0)).toBe(ORDERS * EVENTS_PER_ORDER);
    },
    { timeout: 120_000, interval: 100 },
  );
  const seconds = (performance.now() - started) / 1_000;

  for (const orderId of orderIds) {
    const status = await service.orderStatus(orderId);
    expect(status.appliedEvents.map((event) => event.eventId), orderId).toEqual(produced.get(orderId));
  }

  // Orders of one partition ran side by side: the summed signal latency exceeds the wall time
  // several times over, which strictly serial partitions (at most 3 calls at once) could not do.
  const latency = await service.registry.getSingleMetric('oms_ingest_signal_with_start_seconds')!.get();
  const latencySum = latency.values.filter((v) => (v as { metricName?: string }).metricName?.endsWith('_sum')).reduce((sum, v) => sum + v.value, 0);
  const averageInFlight = latencySum / seconds;
  console.log(`[figures] ingest: ${ORDERS * EVENTS_PER_ORDER} events in ${seconds.toFixed(2)} s = ${((ORDERS * EVENTS_PER_ORDER) / seconds).toFixed(0)} events/s; average signals in flight ${averageInFlight.toFixed(1)}`);
  expect(averageInFlight).toBeGreaterThan(3);
});

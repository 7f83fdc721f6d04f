import type { IHeaders } from 'kafkajs';
import { afterAll, beforeAll, expect, test, vi } from 'vitest';
import { loadConfig } from '../../../src/config/config.ts';
import { DLQ_HEADERS, dlqTopicFor } from '../../../src/ingest/dead-letter.ts';
import { parseEdge } from '../../../src/replay/range.ts';
import { redrive } from '../../../src/replay/replay.ts';
import { createOperatorTools } from '../../../src/service/operate.ts';
import { orderEvent, toRecord } from '../../../src/dev/standins/events.ts';
import { runOms } from '../../support/cli.ts';
import { committedPositions } from '../../support/offsets.ts';
import { startTestService, type TestService } from '../../support/service.ts';
import { readTopic } from '../../support/topics.ts';
import { uniqueName } from '../../support/names.ts';

const LIVE_LIMIT = 2_000;
let service: TestService;
beforeAll(async () => {
  // Live ingest runs with a size limit too small for some real events: the "transient cause" fixed later.
  service = await startTestService({ env: { INGEST_MAX_EVENT_BYTES: String(LIVE_LIMIT) } });
});
afterAll(async () => {
  await service?.stop();
});

const header = (headers: IHeaders | undefined, name: string) => headers?.[name]?.toString();

test('re-drive: 10 events dead-lettered for a cause since fixed are all processed; the still-bad ones stay on the DLQ with the new reason', { timeout: 120_000 }, async () => {
  const topic = service.config.topics.orderEvents;
  const dlq = dlqTopicFor(topic);
  const big = Array.from({ length: 10 }, (_, n) => service.orderId(`big-${n}`));
  const records = big.map((id) => {
    const event = orderEvent('order.created', id);
    return toRecord({ ...event, data: { ...event.data, customer: { ...event.data.customer, name: `${event.data.customer.name} ${'x'.repeat(LIVE_LIMIT)}` } } });
  });
  const bad = [
    { key: service.orderId('bad-1'), value: '{"specversion": "1.0", "id": "truncated' },
    { key: service.orderId('bad-2'), value: JSON.stringify({ ...orderEvent('order.created', service.orderId('bad-2')), type: 'order.unheard-of' }) },
  ];
  await service.produce(topic, [...records, ...bad]);
  const deadLettered = await readTopic(service.kafka, dlq, 12);
  expect(deadLettered.map((m) => header(m.headers, DLQ_HEADERS.errorClass)).sort()).toEqual([...Array.from({ length: 10 }, () => 'too-large'), 'malformed-json', 'unknown-type'].sort());

  // The fix: a re-drive with a limit that fits the real events.
  const fixed = loadConfig({ ...service.env, INGEST_MAX_EVENT_BYTES: String(1_048_576) });
  const tools = await createOperatorTools(fixed, service.logger, 'dead-letter', service.kafka);
  const redriveStarted = Date.now();
  try {
    const summary = await redrive(tools, { dlq, from: parseEdge(new Date(0).toISOString(), '--from') }, new AbortController().signal);
    expect(summary).toMatchObject({ read: 12, reprocessed: 10, failed: 2, failures: { 'malformed-json': 1, 'unknown-type': 1 } });
  } finally {
    await tools.close();
  }
  for (const id of big) {
    await vi.waitFor(async () => expect((await service.orderStatus(id)).orderReceived).toBe(true), { timeout: 30_000, interval: 200 });
  }
  const after = await readTopic(service.kafka, dlq, 14);
  expect(after).toHaveLength(14);
  // The re-driven good events are not dead-lettered again; each bad one is, once more.
  for (const id of big) expect(after.filter((m) => m.key?.toString() === id)).toHaveLength(1);
  const again = after.filter((m) => Date.parse(header(m.headers, DLQ_HEADERS.deadLetteredAt)!) >= redriveStarted);
  expect(again.map((m) => m.key?.toString()).sort()).toEqual(bad.map((b) => b.key).sort());
  for (const message of again) {
    const original = bad.find((b) => b.key === message.key?.toString())!;
    expect(message.value?.toString()).toBe(original.value);
    expect(header(message.headers, DLQ_HEADERS.originalTopic)).toBe(topic);
    expect(header(message.headers, DLQ_HEADERS.errorMessage)).toBeTruthy();
  }
});

test('offsets reset refuses a group with a live member, and moves a stopped group to the first offsets at or after the time', { timeout: 60_000 }, async () => {
  const topic = service.config.topics.orderEvents;
  const live = await runOms(['offsets', 'reset', '--group', service.config.ingest.groupId, '--to', new Date().toISOString()], service.env);
  expect(live.code).toBe(1);
  expect(live.stderr.trim()).toMatch(new RegExp(`^oms: consumer group ${service.config.ingest.groupId} has 1 active member\\(s\\) \\(state Stable\\); stop its consumers before resetting offsets$`));

  // A stopped group that has consumed everything.
  const groupId = uniqueName('stopped-group');
  const consumer = service.kafka.consumer({ groupId });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async () => undefined });
  const before = new Date();
  await new Promise((resolve) => setTimeout(resolve, 50));
  await service.produce(topic, [toRecord(orderEvent('order.created', service.orderId('after-reset-point')))]);
  await vi.waitFor(async () => expect((await committedPositions(service.kafka, groupId, topic)).every((p) => p.committed === p.end)).toBe(true), { timeout: 30_000, interval: 250 });
  await consumer.disconnect();

  const reset = await runOms(['offsets', 'reset', '--group', groupId, '--to', before.toISOString()], service.env);
  expect(reset.code, reset.stderr).toBe(0);
  const admin = service.kafka.admin();
  await admin.connect();
  const expected = await admin.fetchTopicOffsetsByTimestamp(topic, before.getTime());
  await admin.disconnect();
  const positions = await committedPositions(service.kafka, groupId, topic);
  expect(positions.map((p) => ({ partition: p.partition, offset: String(p.committed) }))).toEqual(expected.map((e) => ({ partition: e.partition, offset: e.offset })));
  // Exactly the one message produced after the reset point is now uncommitted.
  expect(positions.reduce((sum, p) => sum + (p.end - p.committed), 0)).toBe(1);
  expect(reset.stdout.trim().split('\n')).toHaveLength(positions.length);
});

import { PartitionAssigners, type PartitionAssigner } from 'kafkajs';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, test, vi } from 'vitest';
import { randomPort } from '../../support/names.ts';
import { orderEvent, toRecord } from '../../../src/dev/standins/events.ts';
import { runOms, spawnOms } from '../../support/cli.ts';
import { uncommitted } from '../../support/offsets.ts';
import { startTestService, type TestService } from '../../support/service.ts';
import { RECOVERY_FLOOR_S } from '../../support/figures.ts';

let service: TestService;
beforeAll(async () => {
  // Workers in this process; ingest runs as the real `oms ingest` command below.
  service = await startTestService({ ingest: false });
});
afterAll(async () => {
  await service?.stop();
});

test('oms ingest serves /healthz, /readyz and /metrics, processes events, and exits 0 on SIGTERM with everything committed', { timeout: 120_000 }, async () => {
  const port = randomPort();
  const ingest = spawnOms(['ingest'], { ...service.env, HTTP_PORT: port, LOG_LEVEL: 'debug' });
  const base = `http://127.0.0.1:${port}`;
  try {
    await vi.waitFor(async () => expect((await fetch(`${base}/readyz`)).status).toBe(200), { timeout: 60_000, interval: 250 });
    expect((await fetch(`${base}/healthz`)).status).toBe(200);

    const orderId = service.orderId('cli');
    const event = orderEvent('order.created', orderId);
    await service.produce(service.config.topics.orderEvents, [toRecord(event)]);
    await vi.waitFor(async () => expect((await service.orderStatus(orderId)).appliedEvents).toEqual([{ eventId: event.id, type: 'order.created', time: event.time }]), {
      timeout: 30_000,
      interval: 200,
    });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`oms_ingest_events_signalled_total\\{topic="${service.config.topics.orderEvents.replaceAll('.', '\\.')}",type="order.created"\\} 1`));
    expect(metrics).toMatch(/oms_ingest_signal_with_start_seconds_count\{type="order.created"\} 1/);
    expect(metrics).toMatch(/oms_ingest_consumer_lag\{topic="[^"]+",partition="\d"\} 0/);

    // Logs are JSON lines and carry the order, event and workflow ids, never the customer's details.
    const lines = () => ingest.output().split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
    await vi.waitFor(() => expect(lines().find((line) => line.msg === 'signalled')).toMatchObject({ orderId, eventId: event.id, workflowId: `order-${orderId}` }), { timeout: 5_000 });
    expect(ingest.output()).not.toContain(event.data.customer.email);

    const stopping = performance.now();
    ingest.child.kill('SIGTERM');
    expect(await ingest.exited).toBe(0);
    console.log(`[figures] oms ingest stopped ${((performance.now() - stopping) / 1_000).toFixed(2)} s after SIGTERM`);
    expect(await uncommitted(service.kafka, service.config.ingest.groupId, service.config.topics.orderEvents)).toBe(0);
  } finally {
    ingest.child.kill('SIGKILL');
  }
});

test('a consumer of another kind in the group (a console consumer, range assignor) refuses ingest at the join, an error kafkajs never retries: ingest joins itself once it left, without a restart', { timeout: 120_000 }, async () => {
  // The broker refuses a join whose assignor matches none of the members' (INCONSISTENT_GROUP_PROTOCOL), and kafkajs
  // then gives up on the consumer for good, as it does for "Failed to find group coordinator" during a broker's
  // controlled shutdown: the process lives on, consuming nothing.
  const range: PartitionAssigner = (config) => ({ ...PartitionAssigners.roundRobin(config), name: 'range' });
  const intruder = service.kafka.consumer({ groupId: service.config.ingest.groupId, partitionAssigners: [range] });
  const elsewhere = `${service.id}-elsewhere`;
  const admin = service.kafka.admin();
  await admin.connect();
  // Not waiting for leaders, as the service's own ensureTopics: kafkajs's wait gives up on a brand-new topic's
  // "does not host this topic-partition"; the consumer's own metadata requests retry it.
  await admin.createTopics({ topics: [{ topic: elsewhere, numPartitions: 1 }], waitForLeaders: false }).finally(() => admin.disconnect());
  const intruderJoined = new Promise((resolve) => intruder.on(intruder.events.GROUP_JOIN, resolve));
  await intruder.connect();
  await intruder.subscribe({ topics: [elsewhere] });
  await intruder.run({ eachMessage: async () => undefined });
  await intruderJoined;

  const port = randomPort();
  const ingest = spawnOms(['ingest'], { ...service.env, HTTP_PORT: port });
  try {
    const lines = () => ingest.output().split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
    const crash = await vi.waitFor(() => lines().find((line) => line.msg === 'consumer crashed') ?? Promise.reject(new Error('no crash yet')), { timeout: 60_000, interval: 250 });
    expect(crash).toMatchObject({ restart: false });
    expect(String(crash.error)).toMatch(/incompatible/);
    const orderId = service.orderId('rejoin');
    const event = orderEvent('order.created', orderId);
    await service.produce(service.config.topics.orderEvents, [toRecord(event)]);
    // The probe server may come up a moment after the crash is logged (start-up goes on around the failed join).
    await vi.waitFor(async () => expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(503), { timeout: 10_000, interval: 100 });

    await intruder.disconnect();
    await vi.waitFor(async () => expect((await service.orderStatus(orderId)).appliedEvents).toEqual([{ eventId: event.id, type: 'order.created', time: event.time }]), { timeout: 30_000, interval: 250 });
    await vi.waitFor(async () => expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200), { timeout: 10_000, interval: 250 });
    expect(ingest.child.exitCode).toBeNull();
  } finally {
    await intruder.disconnect();
    ingest.child.kill('SIGKILL');
    await ingest.exited;
  }
});

test.each([
  ['INGEST_MAX_IN_FLIGHT', 'lots', /^oms: invalid configuration: INGEST_MAX_IN_FLIGHT: expected a whole number, got "lots"$/],
  ['KAFKA_BROKERS', 'localhost', /^oms: invalid configuration: KAFKA_BROKERS: expected comma-separated host:port pairs, got "localhost"$/],
  ['TEMPORAL_ADDRESS', '', /^oms: invalid configuration: TEMPORAL_ADDRESS: required, but not set$/],
  ['LOG_LEVEL', 'loud', /^oms: invalid configuration: LOG_LEVEL: expected one of trace, debug, info, warn, error, fatal, silent, got "loud"$/],
])('oms ingest with %s=%j stops at start-up with one line naming the variable', async (variable, value, message) => {
  const result = await runOms(['ingest'], { ...service.env, [variable]: value });
  expect(result.code).toBe(1);
  expect(result.stderr.trim().split('\n')).toHaveLength(1);
  expect(result.stderr.trim()).toMatch(message);
});

test('oms ingest whose probe port is taken stops with one line naming HTTP_PORT, and leaves no member in its group behind', { timeout: 60_000 }, async () => {
  // The roles start before the probe server: ingest has joined its group by the time the port is refused.
  const taken = createServer().listen(0, '127.0.0.1');
  await once(taken, 'listening');
  const port = (taken.address() as AddressInfo).port;
  try {
    const startedAt = performance.now();
    const result = await runOms(['ingest'], { ...service.env, HTTP_PORT: String(port), INGEST_INSTANCE_ID: 'port-taken' }, 30_000);
    const seconds = (performance.now() - startedAt) / 1_000;
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([`oms: HTTP_PORT: can't listen on 127.0.0.1:${port}: the port is in use (EADDRINUSE)`]);
    // Stopped, not lingering: a floor for a busy machine (it exits in a few seconds).
    expect(seconds).toBeLessThan(RECOVERY_FLOOR_S);
    const admin = service.kafka.admin();
    await admin.connect();
    try {
      const { groups } = await admin.describeGroups([service.config.ingest.groupId]);
      expect(groups[0]!.members.filter((member) => member.clientId.includes('port-taken'))).toEqual([]);
    } finally {
      await admin.disconnect();
    }
  } finally {
    taken.close();
  }
});

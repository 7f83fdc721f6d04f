import { createRequire } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect, inject, test } from 'vitest';
import { loadConfig } from '../../../src/config/config.ts';
import { createLogger } from '../../../src/observability/logger.ts';
import { createIdempotentProducer, createKafka, ensureTopics } from '../../../src/kafka/client.ts';
import { uniqueName } from '../../support/names.ts';

// kafkajs's request queue, as the service's clients load it: counting its checks shows the idle timer loop.
const { prototype: requestQueue } = createRequire(import.meta.url)('kafkajs/src/network/requestQueue/index.js') as { prototype: { checkPendingRequests: (this: unknown) => void } };

test('idle Kafka clients built by the service leave the request queues alone, and queued requests still go out', async () => {
  const config = loadConfig({ KAFKA_BROKERS: inject('stack').kafkaBrokers });
  const kafka = createKafka(config, 'idle-timers', createLogger({ ...config.log, level: 'error' }));
  const topic = uniqueName('smoke.idle-timers');
  const admin = kafka.admin();
  const producer = createIdempotentProducer(kafka);
  const consumer = kafka.consumer({ groupId: uniqueName('idle-timers'), maxWaitTimeInMs: 500 });
  const check = requestQueue.checkPendingRequests;
  let checks = 0;
  requestQueue.checkPendingRequests = function counted(this: unknown) {
    checks += 1;
    check.call(this);
  };
  try {
    await admin.connect();
    await ensureTopics(admin, [topic].map((name) => ({ name, partitions: 1 })));
    await producer.connect();
    // The idempotent producer allows one request in flight: the other 49 wait in the queue, and each must still be sent.
    const sent = await Promise.all(Array.from({ length: 50 }, (_, i) => producer.send({ topic, messages: [{ key: `k${i}`, value: String(i) }] })));
    expect(sent.flat()).toHaveLength(50);
    const received: string[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void received.push(String(message.value)) });
    await expect.poll(() => received.length, { timeout: 30_000 }).toBe(50);

    // Idle: the consumer fetches twice a second and heartbeats; each answer checks its queue once. Before
    // the fix each open connection (five here) checked it about every millisecond, whether anything waited or not.
    checks = 0;
    await sleep(2_000);
    expect(checks).toBeLessThan(100);
  } finally {
    requestQueue.checkPendingRequests = check;
    await Promise.all([consumer.disconnect(), producer.disconnect(), admin.disconnect()]);
  }
});

import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, expect, test } from 'vitest';
import { randomPort } from '../../support/names.ts';
import { runOms, spawnOms } from '../../support/cli.ts';
import { topicEnd } from '../../support/offsets.ts';
import { nodeOnlyPath } from '../../support/node-only.ts';

/**
 * `oms start` as a new user runs it: no endpoint configured, no local stack running for it (its own
 * state folder and ports, so the suite's stack is not it), and nothing on PATH but Node and the basic
 * tools: no java, mvn, python3, redis-server or temporal. Then `oms demo`, whose own
 * checks must pass. Twice: cold (the stack starts) and warm (the stack is already up).
 */
let env: NodeJS.ProcessEnv = {};

afterAll(async () => {
  await runOms(['dev', 'down'], env);
});

async function fulfillmentTimestamps(brokers: string, topic: string): Promise<number[]> {
  const kafka = new Kafka({ brokers: [brokers], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `probe-${randomPort()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const stamps: number[] = [];
  await consumer.run({ eachMessage: async ({ message }) => void stamps.push(Number(message.timestamp)) });
  const total = await topicEnd(kafka, topic);
  while (stamps.length < total) await new Promise((resolve) => setTimeout(resolve, 100));
  await consumer.disconnect();
  return stamps;
}

async function startThenDemo(label: string, via: 'kafka' | 'gateway'): Promise<{ firstFulfillmentSeconds: number }> {
  const started = Date.now();
  const service = spawnOms(['start'], env);
  try {
    const demo = await runOms(['demo', '--orders', '12', '--timeout', '180', '--via', via], env, 300_000);
    expect(demo.code, `${demo.stdout}\n${demo.stderr}\n--- oms start ---\n${service.output()}`).toBe(0);
    if (via === 'kafka') {
      expect(demo.stdout).toMatch(/^OK: all 12 valid orders have exactly one fulfillment message .*; all 4 poison events are on their DLQ$/m);
      } else {
      // Through the gateway, poison is refused at the door (the key-only one can't be sent over HTTP).
      expect(demo.stdout).toMatch(/^OK: all 12 valid orders have exactly one fulfillment message .*; all 3 poison events were refused by the gateway \(400\); every event went through oms gateway as a signed webhook$/m);
      expect(demo.stderr).toMatch(/sent \d+ events \| orders fulfilled 12\/12 \| poison refused by the gateway 3\/3/);
    }
    // Each run of 12 has one order of each v2 kind: one held for risk review, one paid for again after a declined card.
    expect(demo.stdout).toMatch(/\(3 normal, 2 payment-first, 2 duplicates, 2 invalid-then-corrected, 1 pending-payment, 1 high-risk, 1 payment-retry\); all 1 high-risk orders were held for review and approved;/);
    expect(demo.stdout).toMatch(/Temporal UI: http:\/\/127\.0\.0\.1:28233\/namespaces\/default\/workflows/);
    // Locally, the codec server runs too, where the local Temporal UI was told to find it.
    expect((await fetch(`http://127.0.0.1:${env.OMS_DEV_CODEC_SERVER_PORT}/healthz`)).status).toBe(200);
    // And the gateway, with the local stack's webhook secrets.
    expect((await fetch(`http://127.0.0.1:${env.GATEWAY_PORT}/readyz`)).status).toBe(200);
    const stamps = await fulfillmentTimestamps(`127.0.0.1:${env.OMS_DEV_KAFKA_PORT}`, 'fulfillment.orders');
    const firstOfThisRun = Math.min(...stamps.filter((stamp) => stamp >= started));
    const seconds = (firstOfThisRun - started) / 1_000;
    console.log(`[figures] oms start (${label}) to first fulfillment message: ${seconds.toFixed(1)} s`);
    service.child.kill('SIGTERM');
    expect(await service.exited).toBe(0);
    return { firstFulfillmentSeconds: seconds };
  } finally {
    service.child.kill('SIGKILL');
  }
}

test('oms start with no configuration brings up the local stack and stand-ins, and oms demo passes its own checks, cold (to Kafka) and warm (through oms gateway)', { timeout: 600_000 }, async () => {
  env = {
    OMS_DEV_STATE_DIR: await mkdtemp(path.join(tmpdir(), 'oms-start-')),
    OMS_DEV_KAFKA_PORT: '29092',
    OMS_DEV_KAFKA_CONTROLLER_PORT: '29093',
    OMS_DEV_SCHEMA_REGISTRY_PORT: '28081',
    OMS_DEV_SCHEMA_REGISTRY_MANAGEMENT_PORT: '28091',
    OMS_DEV_TEMPORAL_PORT: '27233',
    OMS_DEV_TEMPORAL_UI_PORT: '28233',
    OMS_DEV_REDIS_PORT: '26379',
    OMS_DEV_ZIPKIN_PORT: '29411',
    OMS_DEV_CODEC_SERVER_PORT: '28234',
    HTTP_PORT: randomPort(),
    GATEWAY_PORT: randomPort(),
    STANDIN_STOREFRONT_PORT: randomPort(),
    STANDIN_PAYMENT_PROVIDER_PORT: randomPort(),
    // Node is the only prerequisite: the stack's tools come from the pinned toolchain in .cache.
    PATH: await nodeOnlyPath(),
    JAVA_HOME: '',
  };
  const status = await runOms(['dev', 'status'], env);
  expect(status.code).toBe(3);

  const cold = await startThenDemo('cold', 'kafka');
  const warm = await startThenDemo('warm', 'gateway');
  expect(cold.firstFulfillmentSeconds).toBeGreaterThan(0);
  expect(warm.firstFulfillmentSeconds).toBeGreaterThan(0);
});

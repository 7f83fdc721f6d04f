import { Client, Connection } from '@temporalio/client';
import { readdir } from 'node:fs/promises';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, expect, test } from 'vitest';
import { privateStack, type PrivateStack } from '../../support/dev-stack.ts';

/**
 * The local stack keeps its state until the user asks to wipe it: topics, committed offsets, schemas
 * (so ids inside old messages still resolve) and workflows survive `down`/`up` and a restart of one
 * service; `reset` asks first, and then wipes it all.
 */
let stack: PrivateStack;
afterAll(async () => {
  await stack?.dev('down');
});

async function withClients<T>(fn: (kafka: Kafka, temporal: Client) => Promise<T>): Promise<T> {
  const kafka = new Kafka({ brokers: [stack.endpoints.kafkaBrokers], logLevel: logLevel.NOTHING });
  const connection = await Connection.connect({ address: stack.endpoints.temporalAddress });
  try {
    return await fn(kafka, new Client({ connection }));
  } finally {
    await connection.close();
  }
}

async function snapshot() {
  return withClients(async (kafka, temporal) => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const topics = (await admin.listTopics()).filter((topic) => topic.startsWith('kept'));
      const [offsets] = topics.length > 0 ? await admin.fetchOffsets({ groupId: 'kept-group', topics: ['kept-topic'] }) : [undefined];
      const schema = await fetch(`${stack.endpoints.schemaRegistryUrl}/schemas/ids/1`).then((response) => (response.ok ? response.json() : response.status));
      const workflow = await temporal.workflow
        .getHandle('kept-workflow')
        .describe()
        .then(
          (description) => description.status.name,
          () => 'not found',
        );
      return { topics, offset: offsets?.partitions[0]?.offset, schema, workflow };
    } finally {
      await admin.disconnect();
    }
  });
}

test('topics, offsets, schemas and workflows survive down/up and a service restart; reset asks, then wipes', { timeout: 300_000 }, async () => {
  stack = await privateStack(12_000);
  expect((await stack.dev('up')).code).toBe(0);

  await withClients(async (kafka, temporal) => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'kept-topic', numPartitions: 1 }] });
    await admin.setOffsets({ groupId: 'kept-group', topic: 'kept-topic', partitions: [{ partition: 0, offset: '0' }] });
    await admin.disconnect();
    // A workflow no worker will ever run: it stays Running, as an order waiting for its payment does.
    await temporal.workflow.start('NoWorkerForThis', { taskQueue: 'kept-nobody', workflowId: 'kept-workflow' });
  });
  const registered = await fetch(`${stack.endpoints.schemaRegistryUrl}/subjects/kept-value/versions`, {
    method: 'POST',
    headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
    body: JSON.stringify({ schema: JSON.stringify({ type: 'record', name: 'Kept', fields: [{ name: 'id', type: 'string' }] }) }),
  });
  expect(await registered.json()).toEqual({ id: 1 });
  const before = await snapshot();
  expect(before).toEqual({ topics: ['kept-topic'], offset: '0', schema: { schema: expect.stringContaining('Kept') as string }, workflow: 'RUNNING' });

  expect((await stack.dev('down')).code).toBe(0);
  expect((await stack.dev('up')).code).toBe(0);
  expect(await snapshot()).toEqual(before);

  const restarted = await stack.dev('restart', 'temporal');
  expect(restarted.code, restarted.stderr).toBe(0);
  expect(await snapshot()).toEqual(before);

  const status = await stack.dev('status');
  expect(status.code).toBe(0);
  for (const service of ['kafka', 'schema-registry', 'temporal']) {
    expect(status.stdout).toMatch(new RegExp(`^${service} +up +pid \\d+ +data ${stack.stateDir}/data/${service} \\(\\d+\\.\\d MB\\)`, 'm'));
  }
  expect(status.stdout).toMatch(/^redis +up +pid \d+ +data in memory only/m);

  // No terminal to ask: refused, and nothing deleted.
  const refused = await stack.dev('reset');
  expect(refused.code).toBe(1);
  expect(refused.stderr).toMatch(/reset not confirmed: nothing was deleted/);
  expect(await snapshot()).toEqual(before);

  const reset = await stack.dev('reset', '--yes');
  expect(reset.code, reset.stderr).toBe(0);
  expect(await readdir(stack.stateDir)).not.toContain('data');
  expect((await stack.dev('status')).code).toBe(3);
  expect((await stack.dev('up')).code).toBe(0);
  expect(await snapshot()).toEqual({ topics: [], offset: undefined, schema: 404, workflow: 'not found' });
});

test('oms dev restart names the services it knows', async () => {
  const result = await (await privateStack(12_000)).dev('restart', 'zookeeper');
  expect(result.code).toBe(1);
  expect(result.stderr.trim()).toBe('oms: unknown service zookeeper; expected one of kafka, schema-registry, temporal, redis, zipkin, kafka-secure, secure-front');
});

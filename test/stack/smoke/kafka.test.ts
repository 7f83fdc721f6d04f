import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { expect, inject, test } from 'vitest';
import { ensureTopics } from '../../../src/kafka/client.ts';
import { uniqueName } from '../../support/names.ts';

test('a keyed message produced to a fresh topic is consumed back with its key, value and partition', async () => {
  const kafka = new Kafka({ clientId: 'smoke', brokers: inject('stack').kafkaBrokers.split(','), logLevel: logLevel.WARN });
  const topic = uniqueName('smoke.kafka');
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, [topic].map((name) => ({ name, partitions: 3 })));
  expect((await admin.fetchTopicMetadata({ topics: [topic] })).topics[0]?.partitions).toHaveLength(3);

  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const [sent] = await producer.send({ topic, messages: [{ key: 'order-42', value: 'hello from the smoke test' }] });

  const consumer = kafka.consumer({ groupId: uniqueName('smoke-group') });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const received = await new Promise<{ key: string; value: string; partition: number; offset: string }>((resolve) => {
    void consumer.run({
      eachMessage: async ({ message, partition }) =>
        resolve({ key: String(message.key), value: String(message.value), partition, offset: message.offset }),
    });
  });

  expect(received).toEqual({ key: 'order-42', value: 'hello from the smoke test', partition: sent?.partition, offset: sent?.baseOffset });
  await Promise.all([consumer.disconnect(), producer.disconnect(), admin.disconnect()]);
});

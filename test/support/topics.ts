import type { Kafka, KafkaMessage } from 'kafkajs';
import { vi, expect } from 'vitest';
import { collectTopic as collectFromStart } from '../../src/kafka/client.ts';
import { uniqueName } from './names.ts';

/** Reads a topic from the beginning with a throw-away group until `count` messages (or more) arrived. */
export async function readTopic(kafka: Kafka, topic: string, count: number, timeoutMs = 30_000): Promise<KafkaMessage[]> {
  const collector = await collectTopic(kafka, topic);
  try {
    await collector.until((messages) => expect(messages.length).toBeGreaterThanOrEqual(count), timeoutMs);
    return [...collector.messages];
  } finally {
    await collector.stop();
  }
}

/** The service's topic collector, with a wait for tests that look several times. */
export async function collectTopic(kafka: Kafka, topic: string) {
  const collector = await collectFromStart(kafka, topic, uniqueName('collector'));
  return {
    ...collector,
    async until(check: (messages: KafkaMessage[]) => void, timeoutMs = 60_000) {
      await vi.waitFor(() => check(collector.messages), { timeout: timeoutMs, interval: 200 });
    },
  };
}

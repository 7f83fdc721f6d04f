import { randomUUID } from 'node:crypto';
import type { Kafka, KafkaMessage } from 'kafkajs';
import { deleteConsumerGroup } from '../kafka/client.ts';
import type { PartitionRange } from './range.ts';

export interface RangeMessage {
  topic: string;
  partition: number;
  message: KafkaMessage;
}

/**
 * Reads exactly [start, end) of each partition with a short-lived consumer of its own: a fresh
 * group id that never commits and is deleted afterwards, so a live consumer group is never touched.
 * `handle` is started for every message of a batch in order and the batch waits for all of them;
 * ordering among them is the handler's business (replay keeps it per order key).
 */
export async function readRange(kafka: Kafka, topic: string, ranges: PartitionRange[], handle: (entry: RangeMessage) => Promise<void>): Promise<void> {
  const pending = new Map(ranges.filter((r) => r.end > r.start).map((r) => [r.partition, r]));
  if (pending.size === 0) return;
  const groupId = `oms-replay-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 250, allowAutoTopicCreation: false });
  let finish!: () => void;
  let fail!: (error: Error) => void;
  const finished = new Promise<void>((resolve, reject) => ((finish = resolve), (fail = reject)));

  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async (payload) => {
        const { batch } = payload;
        const range = pending.get(batch.partition);
        if (!range) return void consumer.pause([{ topic, partitions: [batch.partition] }]);
        const inRange = batch.messages.filter((m) => BigInt(m.offset) >= range.start && BigInt(m.offset) < range.end);
        const beat = setInterval(() => void payload.heartbeat().catch(() => undefined), 1_000);
        try {
          await Promise.all(inRange.map((message) => handle({ topic, partition: batch.partition, message })));
        } catch (error) {
          return fail(error as Error);
        } finally {
          clearInterval(beat);
        }
        if (BigInt(batch.lastOffset()) + 1n >= range.end) {
          pending.delete(batch.partition);
          consumer.pause([{ topic, partitions: [batch.partition] }]);
          if (pending.size === 0) finish();
        }
      },
    });
    for (const range of pending.values()) consumer.seek({ topic, partition: range.partition, offset: range.start.toString() });
    await finished;
  } finally {
    await consumer.disconnect();
    await deleteConsumerGroup(kafka, groupId);
  }
}

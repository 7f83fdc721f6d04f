import type { Kafka } from 'kafkajs';

/** Per partition: the end of the log and the group's committed position (-1, none yet, counts as 0). */
export async function committedPositions(kafka: Kafka, groupId: string, topic: string) {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const ends = await admin.fetchTopicOffsets(topic);
    return ends.map((end) => {
      const position = Number(committed!.partitions.find((p) => p.partition === end.partition)?.offset ?? -1);
      return { partition: end.partition, end: Number(end.high), committed: Math.max(0, position) };
    });
  } finally {
    await admin.disconnect();
  }
}

/** Messages on the topic the group has not committed yet. */
export async function uncommitted(kafka: Kafka, groupId: string, topic: string): Promise<number> {
  return (await committedPositions(kafka, groupId, topic)).reduce((sum, p) => sum + (p.end - p.committed), 0);
}

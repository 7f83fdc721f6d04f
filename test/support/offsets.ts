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

/** The end of the topic's log, summed over its partitions; retried while a restarted broker can't say yet. */
export async function topicEnd(kafka: Kafka, topic: string, timeoutMs = 30_000): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  const admin = kafka.admin();
  await admin.connect();
  try {
    for (;;) {
      try {
        return (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high), 0);
      } catch (error) {
        if (performance.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  } finally {
    await admin.disconnect();
  }
}

/** Messages on the topic the group has not committed yet. */
export async function uncommitted(kafka: Kafka, groupId: string, topic: string): Promise<number> {
  return (await committedPositions(kafka, groupId, topic)).reduce((sum, p) => sum + (p.end - p.committed), 0);
}

export interface CommitWatch {
  /** Every time a partition's committed position moved backwards: a commit from a member that no longer owned it. */
  backwards: { topic: string; partition: number; from: number; to: number; at: number }[];
  /** Per `topic:partition`, when (performance.now()) its committed position was seen to advance. */
  advances: Map<string, number[]>;
  stop(): Promise<void>;
}

/** Polls the group's committed positions every `everyMs` until stopped. */
export function watchCommits(kafka: Kafka, groupId: string, topics: string[], everyMs = 200): CommitWatch {
  const admin = kafka.admin();
  const last = new Map<string, number>();
  const watch: CommitWatch = { backwards: [], advances: new Map(), stop: async () => undefined };
  let running = true;
  const loop = (async () => {
    await admin.connect();
    while (running) {
      const sampled = await admin.fetchOffsets({ groupId, topics }).catch(() => []);
      const at = performance.now();
      for (const { topic, partitions } of sampled) {
        for (const { partition, offset } of partitions) {
          const key = `${topic}:${partition}`;
          const position = Number(offset);
          const before = last.get(key);
          if (position < 0) continue;
          if (before !== undefined && position < before) watch.backwards.push({ topic, partition, from: before, to: position, at });
          if (before === undefined || position > before) watch.advances.set(key, [...(watch.advances.get(key) ?? []), at]);
          last.set(key, position);
        }
      }
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
    await admin.disconnect();
  })();
  watch.stop = async () => {
    running = false;
    await loop;
  };
  return watch;
}

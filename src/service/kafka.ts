import { Kafka, logLevel, Partitioners, type Admin, type LogEntry, type Producer, type SASLOptions } from 'kafkajs';
import pRetry from 'p-retry';
import { required, type Config } from '../config/config.ts';
import type { Logger } from '../observability/logger.ts';

const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/** The one place Kafka clients are built: brokers, client id, TLS and SASL from config, kafkajs logs through pino. */
export function createKafka(config: Config, role: string, logger: Logger): Kafka {
  const kafkaLog = logger.child({ component: 'kafkajs' });
  return new Kafka({
    clientId: `${config.kafka.clientId}-${role}`,
    brokers: required(config.kafka.brokers, 'KAFKA_BROKERS'),
    ssl: config.kafka.ssl,
    ...(config.kafka.sasl ? { sasl: config.kafka.sasl as SASLOptions } : {}),
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log }: LogEntry) => {
        const { message, ...extra } = log;
        kafkaLog[LEVELS[level] ?? 'info'](extra, message);
      },
  });
}

/** Idempotent, acks=all: a retried send can't duplicate or reorder a record on its partition. */
export function createIdempotentProducer(kafka: Kafka): Producer {
  return kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
}

/**
 * Creates the topics that are missing (existing ones are left as they are) and waits until every
 * partition has a leader. kafkajs's own `waitForLeaders` gives up when a KRaft broker briefly
 * answers UNKNOWN_TOPIC_OR_PARTITION for a topic it has just created, so the wait is ours.
 */
export async function ensureTopics(admin: Admin, topics: string[], numPartitions: number): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = [...new Set(topics)].filter((topic) => !existing.has(topic));
  if (missing.length === 0) return;
  await admin.createTopics({ topics: missing.map((topic) => ({ topic, numPartitions })), waitForLeaders: false });
  await pRetry(
    async () => {
      const { topics: described } = await admin.fetchTopicMetadata({ topics: missing });
      const leaderless = described.filter((topic) => topic.partitions.length === 0 || topic.partitions.some((p) => p.leader < 0));
      if (leaderless.length > 0) throw new Error(`no leader yet for ${leaderless.map((t) => t.name).join(', ')}`);
    },
    { retries: 40, minTimeout: 100, maxTimeout: 500 },
  );
}

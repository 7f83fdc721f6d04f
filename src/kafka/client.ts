import { Kafka, logLevel, Partitioners, type Admin, type KafkaConfig, type KafkaMessage, type LogEntry, type Producer, type SASLOptions } from 'kafkajs';
import './request-queue-patch.ts';
import { kafkaTls } from './access.ts';
import pRetry from 'p-retry';
import { required, type Config } from '../config/config.ts';
import type { Logger } from '../observability/logger.ts';

const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

const IDEMPOTENT_RETRIES_NOTICE = 'Limiting retries for the idempotent producer may invalidate EoS guarantees';

export const kafkaClientId = (config: Config, role: string) => `${config.kafka.clientId}-${role}`;

/**
 * The one place Kafka clients are built: brokers, client id, TLS and SASL from config, kafkajs logs through pino.
 * `timing` is for a caller that must answer within a bound (the gateway), instead of riding out a broker restart.
 */
export function createKafka(config: Config, role: string, logger: Logger, timing: Pick<KafkaConfig, 'retry' | 'requestTimeout'> = {}): Kafka {
  const kafkaLog = logger.child({ component: 'kafkajs' });
  return new Kafka({
    clientId: kafkaClientId(config, role),
    brokers: required(config.kafka.brokers, 'KAFKA_BROKERS'),
    ssl: kafkaTls(config),
    ...(config.kafka.sasl ? { sasl: config.kafka.sasl as SASLOptions } : {}),
    // kafkajs's default backoff grows to 30 s between attempts, so after a broker restart a client could
    // sleep for seconds while the broker already answers. Retry at least once a second instead, and
    // often enough (about 15 s in all) that a broker restart is bridged inside one call, before a
    // consumer crashes and rejoins or a publishing activity fails into Temporal's slower retry policy.
    retry: { initialRetryTime: 100, maxRetryTime: 1_000, retries: 15 },
    ...timing,
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log }: LogEntry) => {
        const { message, ...extra } = log;
        // Our producers retry a bounded time on purpose (a send failing into Temporal's retry beats one
        // outliving its activity), and we promise at-least-once output, not exactly-once: not news at every start.
        if (message === IDEMPOTENT_RETRIES_NOTICE) return;
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
 * partition has a leader that answers. kafkajs's own `waitForLeaders` gives up when a KRaft broker
 * briefly answers UNKNOWN_TOPIC_OR_PARTITION for a topic it has just created; and a leader named in
 * the metadata can still answer NOT_LEADER_OR_FOLLOWER for a moment, which kafkajs's idempotent
 * producer turns into a fatal out-of-order sequence. So the wait is ours, and ends with a ListOffsets
 * (served by the leader itself) answering for every new topic.
 */
/** A topic as the service needs it: its partitions, and the configs it is created with. */
export interface TopicSpec {
  name: string;
  partitions: number;
  configs?: Record<string, string>;
}

/**
 * The topics a role uses, checked at start. `auto` creates the missing ones (the local stack);
 * `off` (production, where a role's principal may not create topics) names them in one line.
 */
export async function ensureTopics(admin: Admin, topics: TopicSpec[], mode: 'auto' | 'off' = 'auto'): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = [...new Map(topics.map((topic) => [topic.name, topic])).values()].filter((topic) => !existing.has(topic.name));
  if (missing.length === 0) return;
  if (mode === 'off') {
    const names = missing.map((topic) => topic.name);
    throw new Error(`KAFKA: topic ${names[0]} does not exist${names.length > 1 ? ` (nor ${names.slice(1).join(', ')})` : ''}, and KAFKA_CREATE_TOPICS is off: create the topics with \`oms topics apply\``);
  }
  await createTopics(admin, missing);
}

/** Creates topics with their configs, and waits until each has a leader and answers. */
export async function createTopics(admin: Admin, topics: TopicSpec[]): Promise<void> {
  await admin.createTopics({
    topics: topics.map((topic) => ({ topic: topic.name, numPartitions: topic.partitions, configEntries: Object.entries(topic.configs ?? {}).map(([name, value]) => ({ name, value })) })),
    waitForLeaders: false,
  });
  const names = topics.map((topic) => topic.name);
  await pRetry(
    async () => {
      const { topics: described } = await admin.fetchTopicMetadata({ topics: names });
      const leaderless = described.filter((topic) => topic.partitions.length === 0 || topic.partitions.some((p) => p.leader < 0));
      if (leaderless.length > 0) throw new Error(`no leader yet for ${leaderless.map((t) => t.name).join(', ')}`);
      for (const name of names) await admin.fetchTopicOffsets(name);
    },
    { retries: 40, minTimeout: 100, maxTimeout: 500 },
  );
}

/** Messages a topic holds now (end minus start offsets, over its partitions); 0 for a topic not created yet. */
export async function topicDepth(admin: Admin, topic: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic).catch(() => []);
  return offsets.reduce((sum, partition) => sum + Number(BigInt(partition.high) - BigInt(partition.low)), 0);
}

export interface TopicCollector {
  /** Every message of the topic from the start, as it arrives. */
  messages: KafkaMessage[];
  /** Leaves, and deletes the collector's consumer group. */
  stop(): Promise<void>;
}

/** Reads a whole topic from the start with a consumer group of its own, for watchers like `oms demo`. */
export async function collectTopic(kafka: Kafka, topic: string, groupId: string): Promise<TopicCollector> {
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 250 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const messages: KafkaMessage[] = [];
  await consumer.run({ eachMessage: async ({ message }) => void messages.push(message) });
  return {
    messages,
    stop: async () => {
      await consumer.disconnect();
      await deleteConsumerGroup(kafka, groupId);
    },
  };
}

/** Throw-away consumer groups (collectors, replay readers) leave nothing behind in the cluster. */
export async function deleteConsumerGroup(kafka: Kafka, groupId: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteGroups([groupId]).catch(() => undefined);
  await admin.disconnect();
}

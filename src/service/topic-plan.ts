import type { Config } from '../config/config.ts';
import { dlqTopicFor } from '../ingest/dead-letter.ts';
import type { TopicSpec } from '../kafka/client.ts';

const DAY_MS = 86_400_000;

export interface PlannedTopic extends TopicSpec {
  configs: Record<string, string>;
  /** Who writes and who reads it. */
  purpose: string;
}

/**
 * Every topic the service uses, with its partitions and configs: what `oms topics plan|apply` shows
 * and creates, and what each role checks at start. None is compacted: each record is an event (a
 * webhook, a status change, a fulfilment) that its consumers must see, not the latest state of a key.
 */
export function topicPlan(config: Config): PlannedTopic[] {
  const { topics } = config;
  const partitions = topics.partitions;
  // Kept long enough to replay a week of events (`oms replay`) and to re-drive a month of dead letters.
  const events = { 'cleanup.policy': 'delete', 'retention.ms': String(7 * DAY_MS) };
  const deadLetters = { 'cleanup.policy': 'delete', 'retention.ms': String(30 * DAY_MS) };
  const inbound = [topics.orderEvents, topics.paymentEvents, topics.supportCommands];
  return [
    ...inbound.map((name) => ({ name, partitions, configs: events, purpose: 'inbound events: the gateway or upstream systems write, ingest reads' })),
    ...inbound.map((name) => ({ name: dlqTopicFor(name), partitions, configs: deadLetters, purpose: 'dead letters: ingest writes, oms redrive reads' })),
    { name: topics.fulfillment, partitions, configs: events, purpose: 'fulfilment records (Avro): the fulfillment workers write' },
    { name: topics.orderStatus, partitions, configs: events, purpose: 'order status changes (Avro): the fulfillment workers write' },
  ];
}

/** The planned topics among `names`, in their order. */
export function plannedTopics(config: Config, names: string[]): PlannedTopic[] {
  const plan = new Map(topicPlan(config).map((topic) => [topic.name, topic]));
  return names.map((name) => plan.get(name) ?? { name, partitions: config.topics.partitions, configs: {}, purpose: '' });
}

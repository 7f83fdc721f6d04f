import type { Kafka } from 'kafkajs';
import type { Config } from '../config/config.ts';
import { checkBrokerTrust, checkKafkaAccess, explainKafkaFailure, kafkaPrincipal } from '../kafka/access.ts';
import { ensureTopics } from '../kafka/client.ts';
import { roleAccess, type KafkaRole } from './access-plan.ts';
import { plannedTopics } from './topic-plan.ts';

/**
 * What a role does with Kafka before anything else: trust the broker, log in, hold the ACLs its plan
 * lists, and find (or, with KAFKA_CREATE_TOPICS=auto, create) its topics. Each failure is one line
 * naming what to fix, at once: none of them gets better by retrying.
 */
export async function prepareKafka(kafka: Kafka, config: Config, role: KafkaRole, topics: string[]): Promise<void> {
  await checkBrokerTrust(config);
  const admin = kafka.admin();
  try {
    await admin.connect();
    await checkKafkaAccess(kafka, kafkaPrincipal(config), roleAccess(config, role).grants);
    await ensureTopics(admin, plannedTopics(config, topics), config.kafka.createTopics);
  } catch (error) {
    throw explainKafkaFailure(error, config);
  } finally {
    await admin.disconnect();
  }
}

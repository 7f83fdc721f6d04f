import type { Config, Env } from '../config/config.ts';

/** What the ingest role needs from config: checked before anything starts. */
export const ingestNeeds = (config: Config): [keyof Env, unknown][] => [
  ['KAFKA_BROKERS', config.kafka.brokers],
  ['TEMPORAL_ADDRESS', config.temporal.address],
];

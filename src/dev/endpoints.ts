/**
 * The contract between a running stack and everything that uses it: `oms dev up` prints these
 * as environment lines, the test harness hands them to tests, and the service reads them from env.
 * Whether the stack is native, docker compose or testcontainers is invisible past this type.
 */
export interface StackEndpoints {
  /** Comma-separated host:port list. */
  kafkaBrokers: string;
  /** Base URL of a Confluent-compatible schema registry API (Apicurio: ends in /apis/ccompat/v7). */
  schemaRegistryUrl: string;
  /** host:port of the Temporal frontend. */
  temporalAddress: string;
  redisUrl: string;
}

const ENV_NAMES = {
  kafkaBrokers: 'KAFKA_BROKERS',
  schemaRegistryUrl: 'SCHEMA_REGISTRY_URL',
  temporalAddress: 'TEMPORAL_ADDRESS',
  redisUrl: 'REDIS_URL',
} as const satisfies Record<keyof StackEndpoints, string>;

export function endpointsToEnv(endpoints: StackEndpoints): Record<string, string> {
  return Object.fromEntries((Object.keys(ENV_NAMES) as (keyof StackEndpoints)[]).map((key) => [ENV_NAMES[key], endpoints[key]]));
}

export function endpointsToEnvLines(endpoints: StackEndpoints): string[] {
  return Object.entries(endpointsToEnv(endpoints)).map(([name, value]) => `${name}=${value}`);
}

/** The endpoints named by the environment, or undefined unless all four are set. */
export function endpointsFromEnv(env: NodeJS.ProcessEnv): StackEndpoints | undefined {
  const kafkaBrokers = env[ENV_NAMES.kafkaBrokers];
  const schemaRegistryUrl = env[ENV_NAMES.schemaRegistryUrl];
  const temporalAddress = env[ENV_NAMES.temporalAddress];
  const redisUrl = env[ENV_NAMES.redisUrl];
  if (!kafkaBrokers || !schemaRegistryUrl || !temporalAddress || !redisUrl) return undefined;
  return { kafkaBrokers, schemaRegistryUrl, temporalAddress, redisUrl };
}

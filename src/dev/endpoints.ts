import { ensureDevKeyRing } from './dev-keys.ts';

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
  /** The key ring the stack's Temporal payloads are encrypted with (see src/temporal/key-ring.ts). */
  temporalKeysFile: string;
  /** The trace viewer (Zipkin): its UI is under /zipkin/, spans go to /api/v2/spans. */
  zipkinUrl?: string;
}

/** The settings that send every role's spans to the stack's trace viewer. */
export function tracingEnv(endpoints: StackEndpoints): Record<string, string> {
  return endpoints.zipkinUrl ? { OTEL_TRACES_EXPORTER: 'zipkin', OTEL_EXPORTER_ZIPKIN_ENDPOINT: `${endpoints.zipkinUrl}/api/v2/spans` } : {};
}

const ENV_NAMES = {
  kafkaBrokers: 'KAFKA_BROKERS',
  schemaRegistryUrl: 'SCHEMA_REGISTRY_URL',
  temporalAddress: 'TEMPORAL_ADDRESS',
  redisUrl: 'REDIS_URL',
  temporalKeysFile: 'TEMPORAL_ENCRYPTION_KEYS_FILE',
} as const satisfies Record<Exclude<keyof StackEndpoints, 'zipkinUrl'>, string>;

export function endpointsToEnv(endpoints: StackEndpoints): Record<string, string> {
  return Object.fromEntries(Object.entries(ENV_NAMES).map(([key, name]) => [name, endpoints[key as keyof typeof ENV_NAMES]]));
}

/** What `oms dev up` prints: the endpoints, and tracing to the stack's viewer. */
export function endpointsToEnvLines(endpoints: StackEndpoints): string[] {
  return Object.entries({ ...endpointsToEnv(endpoints), ...tracingEnv(endpoints) }).map(([name, value]) => `${name}=${value}`);
}

/**
 * The endpoints named by the environment, or undefined unless all four are set. Without a key ring
 * file named too, the local one (made if missing) serves: a stack of one's own, for tests and benchmarks.
 */
export function endpointsFromEnv(env: NodeJS.ProcessEnv): StackEndpoints | undefined {
  const kafkaBrokers = env[ENV_NAMES.kafkaBrokers];
  const schemaRegistryUrl = env[ENV_NAMES.schemaRegistryUrl];
  const temporalAddress = env[ENV_NAMES.temporalAddress];
  const redisUrl = env[ENV_NAMES.redisUrl];
  if (!kafkaBrokers || !schemaRegistryUrl || !temporalAddress || !redisUrl) return undefined;
  return { kafkaBrokers, schemaRegistryUrl, temporalAddress, redisUrl, temporalKeysFile: env[ENV_NAMES.temporalKeysFile] || ensureDevKeyRing() };
}

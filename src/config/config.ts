import { z } from 'zod';
import type { RouterSettings } from '../router/routes.ts';

/**
 * The service's one configuration module: every environment variable is declared here, with its
 * default and a description (which `oms config` and `.env.example` use), parsed once, and typed.
 * A bad value stops start-up with one line naming the variable and what was expected.
 */

const text = (description: string) => z.string().trim().min(1).describe(description);
const int = (description: string, fallback: number, min = 1) =>
  z.coerce.number({ error: 'expected a whole number' }).int('expected a whole number').min(min, `expected a whole number >= ${min}`).default(fallback).describe(description);
const flag = (description: string) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'expected true or false' })
    .default('false')
    .transform((value) => ['true', '1', 'yes'].includes(value))
    .describe(description);
const hostPortList = (description: string) =>
  z
    .string()
    .trim()
    .regex(/^[^\s,:]+:\d+(,[^\s,:]+:\d+)*$/, 'expected comma-separated host:port pairs')
    .optional()
    .describe(description);
const url = (description: string) => z.url({ error: 'expected a URL' }).optional().describe(description);

export const ENV_SCHEMA = z.object({
  // Endpoints. Each is optional here; a role that needs one asks for it with `required()`.
  KAFKA_BROKERS: hostPortList('Kafka bootstrap servers, comma-separated host:port'),
  SCHEMA_REGISTRY_URL: url('Confluent-compatible schema registry base URL (Apicurio: .../apis/ccompat/v7)'),
  TEMPORAL_ADDRESS: z
    .string()
    .trim()
    .regex(/^[^\s:]+:\d+$/, 'expected host:port')
    .optional()
    .describe('Temporal frontend host:port'),
  REDIS_URL: url('Redis URL (redis://host:port), used by the shared storefront limiter unless STOREFRONT_LIMITER_REDIS_URL is set'),

  KAFKA_CLIENT_ID: text('Kafka client id prefix').default('oms'),
  TEMPORAL_NAMESPACE: text('Temporal namespace').default('default'),

  TOPIC_ORDER_EVENTS: text('Inbound topic: order.created, order.updated, order.cancelled').default('commerce.order-events'),
  TOPIC_PAYMENT_EVENTS: text('Inbound topic: payment.authorized, .captured, .failed, .pending').default('payments.payment-events'),
  TOPIC_SUPPORT_COMMANDS: text('Inbound topic: order.reprocess').default('support.order-commands'),
  TOPIC_FULFILLMENT: text('Outbound Avro topic: FulfillmentOrder').default('fulfillment.orders'),
  TOPIC_ORDER_STATUS: text('Outbound Avro topic: OrderStatusChanged, for the customer dashboard').default('orders.status'),
  TOPIC_PARTITIONS: int('Partitions of the topics the service creates when they are missing (DLQs included)', 3),

  INGEST_GROUP_ID: text('Consumer group of the ingest consumer').default('oms-ingest'),
  INGEST_MAX_IN_FLIGHT: int('Signals in flight at once per ingest process (different orders run in parallel)', 64),
  INGEST_MAX_EVENT_BYTES: int('Events larger than this go to the DLQ', 1_048_576),
  INGEST_RETRY_INITIAL_MS: int('First backoff after a transient failure (Temporal unavailable)', 200),
  INGEST_RETRY_MAX_MS: int('Longest backoff between retries of a transient failure', 30_000),
  INGEST_PARTITIONS_CONCURRENCY: int('Partitions one ingest process works on at once', 16),

  TASK_QUEUE_ORDERS: text('Task queue of the order and payment workflows').default('oms-orders'),
  TASK_QUEUE_STOREFRONT: text('Task queue of the storefront activities').default('oms-storefront'),
  TASK_QUEUE_PAYMENT: text('Task queue of the payment-provider activities').default('oms-payment'),
  TASK_QUEUE_FULFILLMENT: text('Task queue of the Avro publishing activities').default('oms-fulfillment'),
  TASK_QUEUE_NOTIFICATION: text('Task queue of the customer notification activities').default('oms-notification'),

  STOREFRONT_BASE_URL: url("Commerce app's storefront API base URL"),
  STOREFRONT_RPS: int('Storefront requests per second, in total across all worker instances', 150),
  STOREFRONT_INSTANCES: int('Worker instances sharing STOREFRONT_RPS by static split (ignored with Redis)', 1),
  STOREFRONT_LIMITER_REDIS_URL: url('Share one storefront limit across instances through this Redis (Bottleneck clustering)'),
  PAYMENT_PROVIDER_BASE_URL: url("Payment provider's API base URL"),
  NOTIFICATION_BASE_URL: url('Customer notification endpoint base URL (default: STOREFRONT_BASE_URL)'),

  ORDER_ARRIVAL_TIMEOUT_MS: int('How long an order workflow started by a payment waits for its order', 24 * 3_600_000),
  ORDER_CORRECTION_TIMEOUT_MS: int('How long an invalid order waits for a correction or reprocess', 24 * 3_600_000),
  ORDER_PAYMENT_TIMEOUT_MS: int('How long a valid order waits for a validated payment', 30 * 60_000),
  PAYMENT_POLL_TIMEOUT_MS: int('How long a pending payment is polled before it counts as failed', 15 * 60_000),

  HTTP_HOST: text('Interface for /metrics, /healthz, /readyz').default('127.0.0.1'),
  HTTP_PORT: int('Port for /metrics, /healthz, /readyz (0 picks a free port)', 9464, 0),
  SHUTDOWN_GRACE_MS: int('On SIGTERM, how long in-flight work may take before it is abandoned (uncommitted)', 10_000),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'], { error: 'expected one of trace, debug, info, warn, error, fatal, silent' }).default('info').describe('pino log level'),
  LOG_PRETTY: flag('Human-readable logs (default: JSON)'),
});

export type Env = z.infer<typeof ENV_SCHEMA>;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env) {
  // Empty strings count as unset, as a shell `VAR=` usually means.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = ENV_SCHEMA.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const variable = String(issue.path[0]);
      return `${variable}: ${issue.message}, got ${JSON.stringify(present[variable] ?? null)}`;
    });
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  const e = parsed.data;
  return {
    kafka: { brokers: e.KAFKA_BROKERS?.split(','), clientId: e.KAFKA_CLIENT_ID },
    schemaRegistry: { url: e.SCHEMA_REGISTRY_URL },
    temporal: { address: e.TEMPORAL_ADDRESS, namespace: e.TEMPORAL_NAMESPACE },
    redis: { url: e.REDIS_URL },
    topics: {
      orderEvents: e.TOPIC_ORDER_EVENTS,
      paymentEvents: e.TOPIC_PAYMENT_EVENTS,
      supportCommands: e.TOPIC_SUPPORT_COMMANDS,
      fulfillment: e.TOPIC_FULFILLMENT,
      orderStatus: e.TOPIC_ORDER_STATUS,
      partitions: e.TOPIC_PARTITIONS,
    },
    ingest: {
      groupId: e.INGEST_GROUP_ID,
      maxInFlight: e.INGEST_MAX_IN_FLIGHT,
      maxEventBytes: e.INGEST_MAX_EVENT_BYTES,
      retryInitialMs: e.INGEST_RETRY_INITIAL_MS,
      retryMaxMs: e.INGEST_RETRY_MAX_MS,
      partitionsConcurrency: e.INGEST_PARTITIONS_CONCURRENCY,
    },
    taskQueues: {
      orders: e.TASK_QUEUE_ORDERS,
      activities: {
        storefront: e.TASK_QUEUE_STOREFRONT,
        payment: e.TASK_QUEUE_PAYMENT,
        fulfillment: e.TASK_QUEUE_FULFILLMENT,
        notification: e.TASK_QUEUE_NOTIFICATION,
      },
    },
    storefront: {
      baseUrl: e.STOREFRONT_BASE_URL,
      rps: e.STOREFRONT_RPS,
      instances: e.STOREFRONT_INSTANCES,
      limiterRedisUrl: e.STOREFRONT_LIMITER_REDIS_URL,
    },
    paymentProvider: { baseUrl: e.PAYMENT_PROVIDER_BASE_URL },
    notification: { baseUrl: e.NOTIFICATION_BASE_URL ?? e.STOREFRONT_BASE_URL },
    orderTimeouts: {
      orderTimeoutMs: e.ORDER_ARRIVAL_TIMEOUT_MS,
      correctionTimeoutMs: e.ORDER_CORRECTION_TIMEOUT_MS,
      paymentTimeoutMs: e.ORDER_PAYMENT_TIMEOUT_MS,
    },
    paymentPollTimeoutMs: e.PAYMENT_POLL_TIMEOUT_MS,
    http: { host: e.HTTP_HOST, port: e.HTTP_PORT },
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    log: { level: e.LOG_LEVEL, pretty: e.LOG_PRETTY },
  };
}

export type Config = ReturnType<typeof loadConfig>;

/** What the router and the payment activity need to start workflows: derived from config in one place. */
export function routerSettings(config: Config): RouterSettings {
  return {
    taskQueue: config.taskQueues.orders,
    order: { ...config.orderTimeouts, taskQueues: config.taskQueues.activities },
    paymentPollTimeoutMs: config.paymentPollTimeoutMs,
  };
}

/** For a role that cannot run without an endpoint: a ConfigError that names the missing variable. */
export function required<T>(value: T | undefined, variable: keyof Env): T {
  if (value === undefined) throw new ConfigError(`invalid configuration: ${variable}: required, but not set`);
  return value;
}

import { hostname } from 'node:os';
import { z } from 'zod';
import { resolveTemporal, TemporalProfileError, type TemporalConnection } from './temporal-profile.ts';

/**
 * The service's one configuration module: every environment variable is declared here, with its
 * default and a description (which `oms config` and `.env.example` use), parsed once, and typed.
 * A bad value stops start-up with one line naming the variable and what was expected.
 */

const text = (description: string, fallback: string) => z.string().trim().min(1).default(fallback).describe(description);
const int = (description: string, fallback: number, min = 1) =>
  z.coerce.number({ error: 'expected a whole number' }).int('expected a whole number').min(min, `expected a whole number >= ${min}`).default(fallback).describe(description);
const flag = (description: string, fallback = false) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'expected true or false' })
    .default(String(fallback) as 'true' | 'false')
    .transform((value) => ['true', '1', 'yes'].includes(value))
    .describe(description);
const hostPortList = (description: string) =>
  z
    .string()
    .trim()
    .regex(/^[^\s,:]+:\d+(,[^\s,:]+:\d+)*$/, 'expected comma-separated host:port pairs')
    .optional()
    .describe(description);
const objective = (description: string, fallback: number) =>
  z.coerce.number({ error: 'expected a ratio between 0 and 1' }).gt(0, 'expected a ratio between 0 and 1').lt(1, 'expected a ratio between 0 and 1').default(fallback).describe(description);
const url = (description: string) => z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).optional().describe(description);
const redisUrl = (description: string) => z.url({ protocol: /^rediss?$/, error: 'expected a redis:// URL' }).optional().describe(description);

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
  REDIS_URL: redisUrl('Redis of the stack (redis://host:port); set STOREFRONT_LIMITER_REDIS_URL to it to share the storefront limit across worker instances'),

  KAFKA_CLIENT_ID: text('Kafka client id prefix', 'oms'),
  KAFKA_CREATE_TOPICS: z
    .enum(['auto', 'off'], { error: 'expected auto or off' })
    .default('auto')
    .describe('auto: a role creates the topics it uses when they are missing (the local stack); off: a missing topic stops it at start, and `oms topics apply` creates them with the operator\'s credentials (the image sets off)'),
  KAFKA_SSL: flag('Connect to Kafka over TLS'),
  KAFKA_SSL_CA_PATH: z.string().min(1).optional().describe("CA certificate (PEM) to trust the brokers' certificates with (default: the system's); setting it implies KAFKA_SSL"),
  KAFKA_SASL_MECHANISM: z
    .enum(['plain', 'scram-sha-256', 'scram-sha-512'], { error: 'expected plain, scram-sha-256 or scram-sha-512' })
    .optional()
    .describe('Kafka SASL mechanism (unset: no SASL)'),
  KAFKA_SASL_USERNAME: z.string().min(1).optional().describe('Kafka SASL username'),
  KAFKA_SASL_PASSWORD: z.string().min(1).optional().describe('Kafka SASL password (secret)'),
  TEMPORAL_NAMESPACE: z.string().trim().min(1).optional().describe('Temporal namespace (default: the profile\'s, else default)'),
  TEMPORAL_TLS: z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'expected true or false' })
    .optional()
    .transform((value) => (value === undefined ? undefined : ['true', '1', 'yes'].includes(value)))
    .describe('Connect to Temporal over TLS (default: implied by TEMPORAL_API_KEY, a client certificate, a server CA, or the profile\'s tls table)'),
  TEMPORAL_TLS_CLIENT_CERT_PATH: z.string().min(1).optional().describe('Client certificate (PEM) for mTLS to Temporal'),
  TEMPORAL_TLS_CLIENT_KEY_PATH: z.string().min(1).optional().describe('Client private key (PEM) for mTLS to Temporal'),
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: z.string().min(1).optional().describe("CA certificate (PEM) to trust Temporal's server certificate with (default: the system's)"),
  TEMPORAL_TLS_SERVER_NAME: z.string().min(1).optional().describe("Name to verify Temporal's server certificate against (default: the address's host)"),
  TEMPORAL_TLS_CERT_PATH: z.string().min(1).optional().describe('Deprecated name of TEMPORAL_TLS_CLIENT_CERT_PATH (read, with a warning)'),
  TEMPORAL_TLS_KEY_PATH: z.string().min(1).optional().describe('Deprecated name of TEMPORAL_TLS_CLIENT_KEY_PATH (read, with a warning)'),
  TEMPORAL_API_KEY: z.string().min(1).optional().describe('Temporal Cloud API key (secret)'),
  TEMPORAL_PROFILE: z.string().min(1).optional().describe("Profile of Temporal's client config file to read (default: default); the TEMPORAL_* variables win over it"),
  TEMPORAL_CONFIG_FILE: z.string().min(1).optional().describe("Temporal's client config file, TOML (default: ~/.config/temporalio/temporal.toml, when there is one)"),
  TEMPORAL_SDK_LOG_LEVEL: z
    .enum(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'], { error: 'expected one of TRACE, DEBUG, INFO, WARN, ERROR' })
    .default('WARN')
    .describe("Level of the Temporal SDK's own log in worker processes (it logs every worker state change at INFO)"),
  TEMPORAL_ENCRYPTION: z
    .enum(['on', 'off'], { error: 'expected on or off' })
    .default('on')
    .describe('Encrypt every Temporal payload (inputs, signals, results, failures) with AES-256-GCM; off stores them as plain JSON, and each role says so at start'),
  TEMPORAL_ENCRYPTION_KEYS: z
    .string()
    .min(1)
    .optional()
    .describe('Key ring for Temporal payloads (secret), JSON: {"active": "<id>", "keys": {"<id>": "<32 bytes, base64>"}}; `oms keys new` makes one'),
  TEMPORAL_ENCRYPTION_KEYS_FILE: z.string().min(1).optional().describe('A file holding that key ring (a mounted Secret), instead of TEMPORAL_ENCRYPTION_KEYS'),
  SCHEMA_REGISTRY_USERNAME: z.string().min(1).optional().describe('Schema registry basic-auth username'),
  SCHEMA_REGISTRY_PASSWORD: z.string().min(1).optional().describe('Schema registry basic-auth password (secret)'),

  TOPIC_ORDER_EVENTS: text('Inbound topic: order.created, order.updated, order.cancelled', 'commerce.order-events'),
  TOPIC_PAYMENT_EVENTS: text('Inbound topic: payment.authorized, .captured, .failed, .pending', 'payments.payment-events'),
  TOPIC_SUPPORT_COMMANDS: text('Inbound topic: order.reprocess, order.review', 'support.order-commands'),
  TOPIC_FULFILLMENT: text('Outbound Avro topic: FulfillmentOrder', 'fulfillment.orders'),
  TOPIC_ORDER_STATUS: text('Outbound Avro topic: OrderStatusChanged, for the customer dashboard', 'orders.status'),
  TOPIC_PARTITIONS: int('Partitions of the topics the service creates when they are missing (DLQs included)', 3),

  INGEST_GROUP_ID: text('Consumer group of the ingest consumer', 'oms-ingest'),
  INGEST_MAX_IN_FLIGHT: int('Signals in flight at once per ingest process (different orders run in parallel)', 64),
  INGEST_MAX_EVENT_BYTES: int('Events larger than this go to the DLQ', 1_048_576),
  INGEST_RETRY_INITIAL_MS: int('First backoff after a transient failure (Temporal unavailable)', 200),
  INGEST_RETRY_MAX_MS: int('Longest backoff between retries of a transient failure', 30_000),
  INGEST_PARTITIONS_CONCURRENCY: int('Partitions one ingest process works on at once', 16),
  INGEST_INSTANCE_ID: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9._-]+$/, 'expected letters, digits, dots, dashes or underscores')
    .optional()
    .describe('Stable identity of this ingest instance, unique per instance (default: the host name, a pod name in Kubernetes); a restart with the same id takes over its partitions at once'),
  INGEST_SESSION_TIMEOUT_MS: int('Consumer group session: how long a member that vanished without a restart holds its partitions (6000 or more on most brokers)', 10_000, 1_000),

  TASK_QUEUE_ORDERS: text('Task queue of the order and payment workflows', 'oms-orders'),
  TASK_QUEUE_STOREFRONT: text('Task queue of the storefront activities', 'oms-storefront'),
  TASK_QUEUE_PAYMENT: text('Task queue of the payment-provider activities', 'oms-payment'),
  TASK_QUEUE_FULFILLMENT: text('Task queue of the Avro publishing activities', 'oms-fulfillment'),
  TASK_QUEUE_NOTIFICATION: text('Task queue of the customer notification activities', 'oms-notification'),
  TASK_QUEUE_RISK: text('Task queue of the risk-service activities', 'oms-risk'),

  WORKER_LOCAL_ACTIVITIES: flag(
    'oms worker: when one process runs the workflows and an activity group, the workflows call that group as local activities (no round trip through Temporal); false keeps every call on its task queue',
    true,
  ),
  TASK_QUEUE_ORPHANED_AFTER_S: int('A task queue is orphaned when its oldest task has waited this long with no worker polling (metrics, oms status, alerts)', 60),
  HEALTH_POLL_INTERVAL_S: int('How often workers read their task queues\' backlog and pollers, and ingest its DLQ depths, for /metrics', 15),

  SLO_FULFILLMENT_SECONDS: int("The fulfilment latency SLO's threshold: an order is on time when its fulfilment message follows its first event within this many seconds (a bucket of oms_order_fulfillment_seconds)", 3_600),
  SLO_FULFILLMENT_OBJECTIVE: objective('The share of orders to fulfil within SLO_FULFILLMENT_SECONDS, over 30 days', 0.99),
  SLO_FAILURE_OBJECTIVE: objective('The share of finished orders that must not fail (cancelled orders count as finished, not failed), over 30 days', 0.995),
  TRACE_VIEWER_URL: z
    .string()
    .trim()
    .regex(/^https?:\/\/.*\{traceId\}/, 'expected an http(s) URL with {traceId} in it')
    .optional()
    .describe('oms order links the order\'s trace here, {traceId} replaced (default with the local stack: its Zipkin)'),

  STOREFRONT_BASE_URL: url("Commerce app's storefront API base URL"),
  STOREFRONT_RPS: int('Storefront requests per second, in total across all worker instances', 150),
  STOREFRONT_INSTANCES: int('Worker instances sharing STOREFRONT_RPS by static split (ignored with Redis)', 1),
  STOREFRONT_LIMITER_REDIS_URL: redisUrl('Share one storefront limit across instances through this Redis (Bottleneck clustering)'),
  STOREFRONT_LIMITER_ID: text('Name of the shared storefront limit in Redis: instances with the same name share one budget (give each commerce app, or each environment sharing a Redis, its own)', 'oms-storefront'),
  PAYMENT_PROVIDER_BASE_URL: url("Payment provider's API base URL"),
  NOTIFICATION_BASE_URL: url('Customer notification endpoint base URL (default: STOREFRONT_BASE_URL)'),
  RISK_BASE_URL: url("Risk service's API base URL"),
  RISK_REVIEW_SCORE: int('Orders the risk service scores at or above this (0-100) wait for a support review', 70),

  ORDER_ARRIVAL_TIMEOUT_MS: int('How long an order workflow started by a payment waits for its order', 24 * 3_600_000),
  ORDER_CORRECTION_TIMEOUT_MS: int('How long an invalid order waits for a correction or reprocess', 24 * 3_600_000),
  ORDER_PAYMENT_TIMEOUT_MS: int('How long a valid order waits for a validated payment', 30 * 60_000),
  PAYMENT_POLL_TIMEOUT_MS: int('How long a pending payment is polled before it counts as failed', 15 * 60_000),
  ORDER_REVIEW_TIMEOUT_MS: int('How long a high-risk order waits for a support decision (order.review) before it is cancelled', 24 * 3_600_000),
  PAYMENT_RETRY_WINDOW_MS: int('How long after a failed payment the customer may pay again before the order is cancelled', 60 * 60_000),

  CODEC_SERVER_HOST: text('oms codec-server: interface to listen on (it decrypts customer data: loopback unless a proxy needs otherwise)', '127.0.0.1'),
  CODEC_SERVER_PORT: int('oms codec-server: port of /encode, /decode and /healthz', 8234, 0),
  CODEC_SERVER_TOKENS: z
    .string()
    .regex(/^[^\s,]{16,}(,[^\s,]{16,})*$/, 'expected comma-separated tokens of 16 or more characters')
    .optional()
    .describe('oms codec-server: accepted credentials (secret), comma-separated, as `Authorization: Bearer <token>` or in the endpoint path (/t/<token>)'),
  CODEC_SERVER_UI_ORIGINS: z
    .string()
    .regex(/^https?:\/\/[^\s,/]+(,https?:\/\/[^\s,/]+)*$/, 'expected comma-separated origins such as https://temporal.example.com')
    .optional()
    .describe('oms codec-server: browser origins of the Temporal UI allowed to call it (CORS), comma-separated'),
  GATEWAY_HOST: text('oms gateway: interface the webhook endpoints listen on (loopback unless a load balancer needs otherwise)', '127.0.0.1'),
  GATEWAY_PORT: int('oms gateway: port of /webhooks/commerce, /webhooks/payments, /webhooks/support and /openapi.json', 8235, 0),
  GATEWAY_SECRETS: z
    .string()
    .min(1)
    .optional()
    .describe('oms gateway: webhook signing secrets per source (secret), JSON: {"commerce": ["<secret>", ...], "payments": [...], "support": [...]}; two at once while rotating; a source without secrets is refused'),
  GATEWAY_SECRETS_FILE: z.string().min(1).optional().describe('A file holding those secrets (a mounted Secret), instead of GATEWAY_SECRETS'),
  GATEWAY_SIGNATURE_TOLERANCE_S: int('oms gateway: how far a signed timestamp (payments) may be from now before the request is refused as a replay', 300),
  GATEWAY_MAX_BODY_BYTES: int('oms gateway: larger request bodies are refused with 413', 262_144),
  GATEWAY_RATE_LIMIT_RPS: int('oms gateway: requests per second per source (per instance, or in total with GATEWAY_RATE_LIMIT_REDIS_URL); more are refused with 429 and Retry-After', 500),
  GATEWAY_RATE_LIMIT_REDIS_URL: redisUrl('oms gateway: share GATEWAY_RATE_LIMIT_RPS across gateway instances through this Redis; if it stops answering, each instance lets requests through unlimited rather than refuse them'),
  GATEWAY_MAX_IN_FLIGHT: int('oms gateway: requests awaiting Kafka at once per instance; more are refused with 503 and Retry-After', 256),
  GATEWAY_KAFKA_TIMEOUT_MS: int("oms gateway: how long a request waits for Kafka to acknowledge its event before it is answered 503; keep it under the strictest sender's deadline (Shopify counts an answer after 5 s as failed)", 4_000, 1_000),
  GATEWAY_STRIPE_ORDER_ID_KEY: text("oms gateway: the key of a Stripe PaymentIntent's metadata that holds the order id", 'orderId'),
  GATEWAY_SHOPIFY_ORDER_ID: z
    .string()
    .trim()
    .regex(/^(id|name|order_number|note:\S.*)$/, 'expected id, name, order_number or note:<attribute name>')
    .default('id')
    .describe("oms gateway: which field of a Shopify order is the order id: id (Shopify's order id), name (#1001), order_number (1001), or note:<name> (a note attribute)"),
  GATEWAY_RETRY_AFTER_S: int('oms gateway: the Retry-After of a 503 while Kafka is unavailable', 5),
  // OpenTelemetry's own variables (https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/), checked here so a bad one stops start-up.
  OTEL_TRACES_EXPORTER: z
    .enum(['otlp', 'zipkin', 'none'], { error: 'expected otlp, zipkin or none' })
    .default('otlp')
    .describe('Where traces go: otlp (OTEL_EXPORTER_OTLP_ENDPOINT), zipkin (OTEL_EXPORTER_ZIPKIN_ENDPOINT; the local stack) or none. With no endpoint set, nothing is traced'),
  OTEL_EXPORTER_OTLP_ENDPOINT: url('OTLP collector base URL (grpc: http://host:4317; http: http://host:4318, traces go to /v1/traces); unset: no OTLP export'),
  OTEL_EXPORTER_OTLP_PROTOCOL: z
    .enum(['grpc', 'http/protobuf', 'http/json'], { error: 'expected grpc, http/protobuf or http/json' })
    .default('http/protobuf')
    .describe('OTLP transport'),
  OTEL_EXPORTER_ZIPKIN_ENDPOINT: url('Zipkin span endpoint, such as http://127.0.0.1:9411/api/v2/spans (with OTEL_TRACES_EXPORTER=zipkin)'),
  OTEL_SERVICE_NAME: text('service.name of every span (the role, instance and pid are resource attributes of their own)', 'oms'),
  OTEL_RESOURCE_ATTRIBUTES: z
    .string()
    .trim()
    .regex(/^[^=,\s]+\s*=[^,]*(,\s*[^=,\s]+\s*=[^,]*)*$/, 'expected comma-separated key=value pairs')
    .optional()
    .describe('Extra resource attributes, key=value,key2=value2 (deployment.environment.name=prod, say)'),
  OTEL_TRACES_SAMPLER: z
    .enum(['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'], {
      error: 'expected always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off or parentbased_traceidratio',
    })
    .default('parentbased_always_on')
    .describe('Which traces are recorded; the parentbased_ samplers follow the sender, so a trace is kept or dropped whole, at its root'),
  OTEL_TRACES_SAMPLER_ARG: z.coerce
    .number({ error: 'expected a number from 0 to 1' })
    .min(0, 'expected a number from 0 to 1')
    .max(1, 'expected a number from 0 to 1')
    .default(1)
    .describe('The ratio of the traceidratio samplers, 0 to 1'),
  OTEL_BSP_SCHEDULE_DELAY: int('Milliseconds between two exports of finished spans', 5_000),
  OTEL_BSP_EXPORT_TIMEOUT: int('Milliseconds an export may take before it is abandoned', 30_000),
  OTEL_BSP_MAX_QUEUE_SIZE: int('Finished spans held for export; more are dropped (and counted)', 2_048),
  OTEL_BSP_MAX_EXPORT_BATCH_SIZE: int('Spans per export, at most OTEL_BSP_MAX_QUEUE_SIZE', 512),
  HTTP_HOST: text('Interface for /metrics, /healthz, /readyz', '127.0.0.1'),
  HTTP_PORT: int('Port for /metrics, /healthz, /readyz (0 picks a free port)', 9464, 0),
  SHUTDOWN_GRACE_MS: int('On SIGTERM, how long in-flight work may take before it is abandoned (uncommitted)', 10_000),
  LOG_LEVEL: z
    .enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'], { error: 'expected one of trace, debug, info, warn, error, fatal, silent' })
    .default('info')
    .describe('pino log level'),
  LOG_PRETTY: z
    .enum(['true', 'false'], { error: 'expected true or false' })
    .optional()
    .transform((value) => (value === undefined ? undefined : value === 'true'))
    .describe('Human-readable logs (default: pretty on a terminal, JSON otherwise)'),
  STANDIN_STOREFRONT_PORT: int('oms start / oms standins: port of the storefront stand-in when no STOREFRONT_BASE_URL is set', 8190),
  STANDIN_PAYMENT_PROVIDER_PORT: int('oms start / oms standins: port of the payment-provider stand-in when no PAYMENT_PROVIDER_BASE_URL is set', 8191),
  STANDIN_RISK_PORT: int('oms start / oms standins: port of the risk-service stand-in when no RISK_BASE_URL is set', 8192),
  STANDIN_STOREFRONT_RPS: int('Rate limit the storefront stand-in enforces (429 above it)', 150),
  TEMPORAL_UI_URL: url('Where the demo points you for the Temporal UI (default: the local dev server UI)'),
  OMS_LOCAL_STACK: z
    .enum(['auto', 'off'], { error: 'expected auto or off' })
    .default('auto')
    .describe('auto: with no endpoints configured, oms start runs the local dev stack and stand-ins (a checkout only); off: a missing endpoint is a config error (the image sets off)'),
});

/** Values `oms config` masks: they never reach the terminal or the logs. */
export const SECRET_VARIABLES = new Set<keyof Env>(['KAFKA_SASL_PASSWORD', 'TEMPORAL_API_KEY', 'TEMPORAL_ENCRYPTION_KEYS', 'CODEC_SERVER_TOKENS', 'GATEWAY_SECRETS', 'SCHEMA_REGISTRY_PASSWORD']);

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
      const shown = SECRET_VARIABLES.has(variable as keyof Env) ? '"***"' : JSON.stringify(present[variable] ?? null);
      return `${variable}: ${issue.message}, got ${shown}`;
    });
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  const e = parsed.data;
  if (e.KAFKA_SASL_MECHANISM && (!e.KAFKA_SASL_USERNAME || !e.KAFKA_SASL_PASSWORD)) {
    throw new ConfigError(`invalid configuration: ${e.KAFKA_SASL_USERNAME ? 'KAFKA_SASL_PASSWORD' : 'KAFKA_SASL_USERNAME'}: required when KAFKA_SASL_MECHANISM is set`);
  }
  const warnings: string[] = [];
  let temporal: TemporalConnection;
  try {
    temporal = resolveTemporal(e, env, (line) => warnings.push(line));
  } catch (error) {
    if (!(error instanceof TemporalProfileError)) throw error;
    const value = error.variable in present ? `, got ${JSON.stringify(present[error.variable])}` : '';
    throw new ConfigError(`invalid configuration: ${error.variable}: ${error.message}${value}`);
  }
  if (e.OTEL_BSP_MAX_EXPORT_BATCH_SIZE > e.OTEL_BSP_MAX_QUEUE_SIZE) {
    throw new ConfigError(`invalid configuration: OTEL_BSP_MAX_EXPORT_BATCH_SIZE: expected at most OTEL_BSP_MAX_QUEUE_SIZE (${e.OTEL_BSP_MAX_QUEUE_SIZE}), got ${e.OTEL_BSP_MAX_EXPORT_BATCH_SIZE}`);
  }
  return {
    kafka: {
      brokers: e.KAFKA_BROKERS?.split(','),
      clientId: e.KAFKA_CLIENT_ID,
      createTopics: e.KAFKA_CREATE_TOPICS,
      ssl: e.KAFKA_SSL || e.KAFKA_SSL_CA_PATH !== undefined,
      sslCaPath: e.KAFKA_SSL_CA_PATH,
      sasl: e.KAFKA_SASL_MECHANISM ? { mechanism: e.KAFKA_SASL_MECHANISM, username: e.KAFKA_SASL_USERNAME!, password: e.KAFKA_SASL_PASSWORD! } : undefined,
    },
    schemaRegistry: {
      url: e.SCHEMA_REGISTRY_URL,
      auth: e.SCHEMA_REGISTRY_USERNAME ? { username: e.SCHEMA_REGISTRY_USERNAME, password: e.SCHEMA_REGISTRY_PASSWORD ?? '' } : undefined,
    },
    /** Said once at start by the roles (a deprecated name in use). */
    warnings,
    temporal: {
      ...temporal,
      sdkLogLevel: e.TEMPORAL_SDK_LOG_LEVEL,
      uiUrl: e.TEMPORAL_UI_URL,
      encryption: { enabled: e.TEMPORAL_ENCRYPTION === 'on', keys: e.TEMPORAL_ENCRYPTION_KEYS, keysFile: e.TEMPORAL_ENCRYPTION_KEYS_FILE },
    },
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
      instanceId: e.INGEST_INSTANCE_ID ?? hostname(),
      sessionTimeoutMs: e.INGEST_SESSION_TIMEOUT_MS,
    },
    localActivities: e.WORKER_LOCAL_ACTIVITIES,
    health: { orphanedAfterMs: e.TASK_QUEUE_ORPHANED_AFTER_S * 1_000, pollIntervalMs: e.HEALTH_POLL_INTERVAL_S * 1_000 },
    slo: { fulfillmentSeconds: e.SLO_FULFILLMENT_SECONDS, fulfillmentObjective: e.SLO_FULFILLMENT_OBJECTIVE, failureObjective: e.SLO_FAILURE_OBJECTIVE },
    traceViewerUrl: e.TRACE_VIEWER_URL,
    taskQueues: {
      orders: e.TASK_QUEUE_ORDERS,
      activities: {
        storefront: e.TASK_QUEUE_STOREFRONT,
        payment: e.TASK_QUEUE_PAYMENT,
        fulfillment: e.TASK_QUEUE_FULFILLMENT,
        notification: e.TASK_QUEUE_NOTIFICATION,
        risk: e.TASK_QUEUE_RISK,
      },
    },
    storefront: {
      baseUrl: e.STOREFRONT_BASE_URL,
      rps: e.STOREFRONT_RPS,
      instances: e.STOREFRONT_INSTANCES,
      limiterRedisUrl: e.STOREFRONT_LIMITER_REDIS_URL,
      limiterId: e.STOREFRONT_LIMITER_ID,
    },
    paymentProvider: { baseUrl: e.PAYMENT_PROVIDER_BASE_URL },
    risk: { baseUrl: e.RISK_BASE_URL, reviewScore: e.RISK_REVIEW_SCORE },
    notification: { baseUrl: e.NOTIFICATION_BASE_URL ?? e.STOREFRONT_BASE_URL },
    orderTimeouts: {
      orderTimeoutMs: e.ORDER_ARRIVAL_TIMEOUT_MS,
      correctionTimeoutMs: e.ORDER_CORRECTION_TIMEOUT_MS,
      paymentTimeoutMs: e.ORDER_PAYMENT_TIMEOUT_MS,
      reviewTimeoutMs: e.ORDER_REVIEW_TIMEOUT_MS,
      paymentRetryWindowMs: e.PAYMENT_RETRY_WINDOW_MS,
    },
    paymentPollTimeoutMs: e.PAYMENT_POLL_TIMEOUT_MS,
    http: { host: e.HTTP_HOST, port: e.HTTP_PORT },
    codecServer: { host: e.CODEC_SERVER_HOST, port: e.CODEC_SERVER_PORT, tokens: e.CODEC_SERVER_TOKENS?.split(','), uiOrigins: e.CODEC_SERVER_UI_ORIGINS?.split(',') },
    gateway: {
      host: e.GATEWAY_HOST,
      port: e.GATEWAY_PORT,
      secrets: e.GATEWAY_SECRETS,
      secretsFile: e.GATEWAY_SECRETS_FILE,
      toleranceMs: e.GATEWAY_SIGNATURE_TOLERANCE_S * 1_000,
      maxBodyBytes: e.GATEWAY_MAX_BODY_BYTES,
      rateLimitRps: e.GATEWAY_RATE_LIMIT_RPS,
      rateLimitRedisUrl: e.GATEWAY_RATE_LIMIT_REDIS_URL,
      maxInFlight: e.GATEWAY_MAX_IN_FLIGHT,
      kafkaTimeoutMs: e.GATEWAY_KAFKA_TIMEOUT_MS,
      retryAfterSeconds: e.GATEWAY_RETRY_AFTER_S,
      providers: {
        stripeOrderIdKey: e.GATEWAY_STRIPE_ORDER_ID_KEY,
        shopifyOrderId: e.GATEWAY_SHOPIFY_ORDER_ID.startsWith('note:')
          ? { noteAttribute: e.GATEWAY_SHOPIFY_ORDER_ID.slice('note:'.length) }
          : { field: e.GATEWAY_SHOPIFY_ORDER_ID as 'id' | 'name' | 'order_number' },
      },
    },
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    tracing: {
      exporter: e.OTEL_TRACES_EXPORTER,
      otlp: { endpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT, protocol: e.OTEL_EXPORTER_OTLP_PROTOCOL },
      zipkinEndpoint: e.OTEL_EXPORTER_ZIPKIN_ENDPOINT,
      serviceName: e.OTEL_SERVICE_NAME,
      resourceAttributes: Object.fromEntries((e.OTEL_RESOURCE_ATTRIBUTES?.split(',') ?? []).map((pair) => pair.split('=', 2).map((part) => decodeURIComponent(part.trim())) as [string, string])),
      sampler: { name: e.OTEL_TRACES_SAMPLER, ratio: e.OTEL_TRACES_SAMPLER_ARG },
      batch: {
        scheduledDelayMillis: e.OTEL_BSP_SCHEDULE_DELAY,
        exportTimeoutMillis: e.OTEL_BSP_EXPORT_TIMEOUT,
        maxQueueSize: e.OTEL_BSP_MAX_QUEUE_SIZE,
        maxExportBatchSize: e.OTEL_BSP_MAX_EXPORT_BATCH_SIZE,
      },
      instanceId: e.INGEST_INSTANCE_ID ?? hostname(),
    },
    log: { level: e.LOG_LEVEL, pretty: e.LOG_PRETTY ?? Boolean(process.stdout.isTTY) },
    localStack: e.OMS_LOCAL_STACK,
    standins: { storefrontPort: e.STANDIN_STOREFRONT_PORT, paymentProviderPort: e.STANDIN_PAYMENT_PROVIDER_PORT, riskPort: e.STANDIN_RISK_PORT, storefrontRps: e.STANDIN_STOREFRONT_RPS },
  };
}

export type Config = ReturnType<typeof loadConfig>;

/**
 * What a role needs, checked at start rather than at first use: one ConfigError naming every
 * variable that is not set, so a misconfigured pod fails its start, not a call hours later.
 */
export function requireAll(needs: readonly (readonly [keyof Env, unknown])[]): void {
  const missing = [...new Set(needs.filter(([, value]) => value === undefined).map(([variable]) => variable))];
  if (missing.length > 0) throw new ConfigError(`invalid configuration: ${missing.map((variable) => `${variable}: required, but not set`).join('; ')}`);
}

/** For a role that cannot run without an endpoint: a ConfigError that names the missing variable. */
export function required<T>(value: T | undefined, variable: keyof Env): T {
  if (value === undefined) throw new ConfigError(`invalid configuration: ${variable}: required, but not set`);
  return value;
}

import type { StackEndpoints } from '../../src/dev/endpoints.ts';

/**
 * The settings of one service instance on a shared stack: its own topics, consumer group and task
 * queues, named after `id`, so instances run side by side. Free of vitest: the benchmarks use it too.
 */
export function serviceEnv(stack: StackEndpoints, id: string, urls: { storefront: string; paymentProvider: string; risk: string }): Record<string, string> {
  return {
    KAFKA_BROKERS: stack.kafkaBrokers,
    SCHEMA_REGISTRY_URL: stack.schemaRegistryUrl,
    TEMPORAL_ADDRESS: stack.temporalAddress,
    REDIS_URL: stack.redisUrl,
    TEMPORAL_ENCRYPTION_KEYS_FILE: stack.temporalKeysFile,
    TOPIC_ORDER_EVENTS: `${id}.commerce.order-events`,
    TOPIC_PAYMENT_EVENTS: `${id}.payments.payment-events`,
    TOPIC_SUPPORT_COMMANDS: `${id}.support.order-commands`,
    TOPIC_FULFILLMENT: `${id}.fulfillment.orders`,
    TOPIC_ORDER_STATUS: `${id}.orders.status`,
    INGEST_GROUP_ID: `${id}-ingest`,
    TASK_QUEUE_ORDERS: `${id}-orders`,
    TASK_QUEUE_STOREFRONT: `${id}-storefront`,
    TASK_QUEUE_PAYMENT: `${id}-payment`,
    TASK_QUEUE_FULFILLMENT: `${id}-fulfillment`,
    TASK_QUEUE_NOTIFICATION: `${id}-notification`,
    TASK_QUEUE_RISK: `${id}-risk`,
    STOREFRONT_BASE_URL: urls.storefront,
    PAYMENT_PROVIDER_BASE_URL: urls.paymentProvider,
    RISK_BASE_URL: urls.risk,
    INGEST_RETRY_INITIAL_MS: '100',
    INGEST_RETRY_MAX_MS: '1000',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'error',
  };
}

import type { Client } from '@temporalio/client';
import { Kafka, logLevel, Partitioners, type Producer } from 'kafkajs';
import { Registry } from 'prom-client';
import { inject } from 'vitest';
import { loadConfig, type Config } from '../../src/config/config.ts';
import type { StackEndpoints } from '../../src/dev/endpoints.ts';
import { createLogger, type Logger } from '../../src/observability/logger.ts';
import { startIngest, type RunningIngest } from '../../src/service/ingest.ts';
import { startWorkers, type RunningWorkers } from '../../src/service/worker.ts';
import type { WorkerGroup } from '../../src/service/worker-groups.ts';
import { startPaymentProviderStandin } from '../../src/dev/standins/payment-provider.ts';
import { startRiskServiceStandin } from '../../src/dev/standins/risk-service.ts';
import { startStorefrontStandin } from '../../src/dev/standins/storefront.ts';
import type { KafkaRecord } from '../../src/dev/standins/events.ts';
import { createTemporalClient, temporalSettings } from '../../src/temporal/factory.ts';
import { orderStatusQuery, orderWorkflowId, type OrderStatus } from '../../src/contract/workflows.ts';
import { uniqueName } from './names.ts';
import { serviceEnv } from './service-env.ts';

/**
 * The whole service, in-process, on the real stack: worker (all groups) and ingest, with stand-ins
 * for the commerce app and payment provider. Every instance gets its own topics, consumer group,
 * task queues and order-id prefix, so test files run side by side on one stack.
 */
export interface TestService {
  id: string;
  config: Config;
  env: Record<string, string>;
  kafka: Kafka;
  producer: Producer;
  temporal: Client;
  registry: Registry;
  storefront: Awaited<ReturnType<typeof startStorefrontStandin>>;
  paymentProvider: Awaited<ReturnType<typeof startPaymentProviderStandin>>;
  risk: Awaited<ReturnType<typeof startRiskServiceStandin>>;
  workers?: RunningWorkers;
  ingest?: RunningIngest;
  logger: Logger;
  orderId(n: number | string): string;
  produce(topic: string, records: KafkaRecord[]): Promise<void>;
  orderStatus(orderId: string): Promise<OrderStatus>;
  stop(): Promise<void>;
}

export interface TestServiceOptions {
  env?: Record<string, string>;
  /** Defaults to all groups; [] runs no worker. */
  workerGroups?: WorkerGroup[];
  ingest?: boolean;
  storefrontRps?: number;
  logger?: Logger;
  /** A stack of the test's own (fault tests that stop services); default: the suite's shared stack. */
  stack?: StackEndpoints;
}

export async function startTestService(options: TestServiceOptions = {}): Promise<TestService> {
  const stack = options.stack ?? inject('stack');
  const id = uniqueName('t');
  const storefront = await startStorefrontStandin({ rateLimitRps: options.storefrontRps ?? 1_000 });
  const paymentProvider = await startPaymentProviderStandin();
  const risk = await startRiskServiceStandin();
  const env: Record<string, string> = {
    ...serviceEnv(stack, id, { storefront: storefront.url, paymentProvider: paymentProvider.url, risk: risk.url }),
    STOREFRONT_RPS: String(options.storefrontRps ?? 1_000),
    ...options.env,
  };
  const config = loadConfig(env);
  const logger = options.logger ?? createLogger({ level: env.LOG_LEVEL!, pretty: false });
  const kafka = new Kafka({ clientId: `${id}-test`, brokers: stack.kafkaBrokers.split(','), logLevel: logLevel.ERROR });
  // Plain producer: the tests' own sends needn't be idempotent, and kafkajs's idempotent retries are fragile.
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, maxInFlightRequests: 1 });
  await producer.connect();
  const temporal = await createTemporalClient(temporalSettings(config));
  const registry = new Registry();

  const groups = options.workerGroups ?? undefined;
  const workers = groups?.length === 0 ? undefined : await startWorkers(config, logger, groups);
  const ingest = options.ingest === false ? undefined : await startIngest(config, logger, registry);

  return {
    id,
    config,
    env,
    kafka,
    producer,
    temporal,
    registry,
    storefront,
    paymentProvider,
    risk,
    workers,
    ingest,
    logger,
    orderId: (n) => `ORD-${id.slice(2)}-${n}`,
    produce: async (topic, records) => {
      await producer.send({ topic, messages: records });
    },
    orderStatus: (orderId) => temporal.workflow.getHandle(orderWorkflowId(orderId)).query(orderStatusQuery),
    stop: async () => {
      await ingest?.stop();
      await workers?.shutdown();
      await producer.disconnect();
      await temporal.connection.close();
      await storefront.close();
      await paymentProvider.close();
      await risk.close();
    },
  };
}

import { requireAll, type Config } from '../config/config.ts';
import { ingestNeeds } from './ingest-needs.ts';
import { routerSettings } from '../router/routes.ts';
import { IngestConsumer } from '../ingest/consumer.ts';
import { takeOverEarlierIncarnations } from '../ingest/member-takeover.ts';
import { dlqTopicFor } from '../ingest/dead-letter.ts';
import { EventProcessor } from '../ingest/processor.ts';
import { RecoveryWatch } from '../ingest/recovery-watch.ts';
import type { Logger } from '../observability/logger.ts';
import { createIngestMetrics, type IngestMetrics } from '../observability/metrics.ts';
import type { Client } from '@temporalio/client';
import type { Producer } from 'kafkajs';
import { createTemporalClient, temporalAnswers, temporalSettings } from '../temporal/factory.ts';
import type { Registry } from 'prom-client';
import { createIdempotentProducer, createKafka, kafkaClientId, topicDepth } from '../kafka/client.ts';
import { prepareKafka } from './kafka-start.ts';

export const inboundTopics = (config: Config) => [config.topics.orderEvents, config.topics.paymentEvents, config.topics.supportCommands];

export interface RunningIngest {
  consumer: IngestConsumer;
  isReady(): boolean;
  stop(): Promise<void>;
}

/** The processor of live ingest, replay and re-drive alike: one set-up from config. */
export function createEventProcessor(
  config: Config,
  deps: { temporal: Client; producer: Producer; logger: Logger; metrics: IngestMetrics },
  onPermanent: 'dead-letter' | 'report',
): EventProcessor {
  return new EventProcessor({
    ...deps,
    router: routerSettings(config),
    maxEventBytes: config.ingest.maxEventBytes,
    retry: { initialMs: config.ingest.retryInitialMs, maxMs: config.ingest.retryMaxMs },
    recovery: new RecoveryWatch(() => temporalAnswers(deps.temporal)),
    onPermanent,
  });
}

/** The ingest role: inbound topics to signal-with-start, wired from config. */
export async function startIngest(config: Config, logger: Logger, registry?: Registry): Promise<RunningIngest> {
  requireAll(ingestNeeds(config));
  const log = logger.child({ role: 'ingest' });
  // The instance id is in the client id: a restart finds, and takes over from, its earlier incarnation by it.
  const role = `ingest-${config.ingest.instanceId}`;
  const kafka = createKafka(config, role, log);
  const topics = inboundTopics(config);

  const clientId = kafkaClientId(config, role);
  const producer = createIdempotentProducer(kafka);
  // Independent steps side by side: a restarted ingest is back in its group sooner.
  const [temporal] = await Promise.all([
    createTemporalClient(temporalSettings(config), { sdkRetries: false }),
    (async () => {
      await prepareKafka(kafka, config, 'ingest', [...topics, ...topics.map(dlqTopicFor)]);
      await Promise.all([producer.connect(), takeOverEarlierIncarnations(kafka, config.ingest.groupId, clientId, log)]);
    })(),
  ]);
  const metrics = createIngestMetrics(registry);
  const processor = createEventProcessor(config, { temporal, producer, logger: log, metrics }, 'dead-letter');
  const consumer = new IngestConsumer({
    kafka,
    processor,
    groupId: config.ingest.groupId,
    topics,
    maxInFlight: config.ingest.maxInFlight,
    partitionsConcurrency: config.ingest.partitionsConcurrency,
    clientId,
    sessionTimeoutMs: config.ingest.sessionTimeoutMs,
    logger: log,
    metrics,
  });
  await consumer.start();
  // What waits on the DLQs, for /metrics and the "DLQ receiving" alert.
  const dlqAdmin = kafka.admin();
  await dlqAdmin.connect();
  const readDlqDepths = async () => {
    for (const topic of topics.map(dlqTopicFor)) metrics.dlqDepth.set({ topic }, await topicDepth(dlqAdmin, topic));
  };
  let dlqReads = readDlqDepths().catch(() => undefined);
  const dlqTimer = setInterval(() => {
    dlqReads = dlqReads.then(readDlqDepths).catch(() => undefined);
  }, config.health.pollIntervalMs);
  dlqTimer.unref();
  return {
    consumer,
    isReady: () => consumer.isReady(),
    stop: async () => {
      clearInterval(dlqTimer);
      await consumer.stop();
      await dlqAdmin.disconnect();
      await producer.disconnect();
      await temporal.connection.close();
    },
  };
}

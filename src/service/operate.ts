import type { Kafka, Producer } from 'kafkajs';
import type { Client } from '@temporalio/client';
import type { Config } from '../config/config.ts';
import { routerSettings } from '../router/routes.ts';
import type { Logger } from '../observability/logger.ts';
import { createIngestMetrics } from '../observability/metrics.ts';
import { startTracing } from '../observability/tracing.ts';
import type { ReplayDeps } from '../replay/replay.ts';
import { createTemporalClient, temporalSettings } from '../temporal/factory.ts';
import { createEventProcessor } from './ingest.ts';
import { createIdempotentProducer, createKafka } from '../kafka/client.ts';

export interface OperatorTools extends ReplayDeps {
  temporal: Client;
  producer: Producer;
  close(): Promise<void>;
}

/**
 * What replay and re-drive run on: the same processor, router and Temporal client set-up as live
 * ingest, but their own Kafka clients. Replay reports permanent failures; re-drive dead-letters them again.
 */
export async function createOperatorTools(config: Config, logger: Logger, onPermanent: 'report' | 'dead-letter', kafka?: Kafka): Promise<OperatorTools> {
  // Replayed and re-driven events get traces of their own, linked to the ones they first had.
  const traces = await startTracing(config.tracing, ['operator']);
  const client = kafka ?? createKafka(config, 'operator', logger);
  const temporal = await createTemporalClient(temporalSettings(config));
  const producer = createIdempotentProducer(client);
  await producer.connect();
  const processor = createEventProcessor(config, { temporal, producer, logger, metrics: createIngestMetrics() }, onPermanent);
  return {
    kafka: client,
    processor,
    router: routerSettings(config),
    maxInFlight: config.ingest.maxInFlight,
    temporal,
    producer,
    close: async () => {
      await producer.disconnect();
      await temporal.connection.close();
      await traces.shutdown();
    },
  };
}

import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { requireAll, type Config } from '../config/config.ts';
import { listenOrExplain } from '../config/listen-failure.ts';
import { buildGatewayApp } from '../gateway/http-app.ts';
import type { GatewayRecord } from '../gateway/http-binding.ts';
import { gatewayOpenApi } from '../gateway/openapi.ts';
import { loadSourceSecrets } from '../gateway/secrets.ts';
import { SOURCE_NAMES, WEBHOOK_SOURCES, type SourceName } from '../gateway/sources.ts';
import type { Logger } from '../observability/logger.ts';
import { createGatewayMetrics } from '../observability/metrics.ts';
import { sendInSpan } from '../observability/trace-context.ts';
import { tracing } from '../observability/tracing.ts';
import { gatewayNeeds } from './gateway-needs.ts';
import { createIdempotentProducer, createKafka } from '../kafka/client.ts';
import { prepareKafka } from './kafka-start.ts';
import { connectRedis } from './redis.ts';

export interface RunningGateway {
  url: string;
  isReady(): boolean;
  stop(): Promise<void>;
}

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** Rejects after `ms`, unless the promise settles first. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

/** The gateway role: signed webhooks to the inbound topics through an idempotent, acks=all producer. */
export async function startGateway(config: Config, logger: Logger, registry?: Registry): Promise<RunningGateway> {
  requireAll(gatewayNeeds(config));
  const secrets = loadSourceSecrets(config.gateway)!;
  const log = logger.child({ role: 'gateway' });
  const rateLimitRedis = config.gateway.rateLimitRedisUrl ? await connectRedis(config.gateway.rateLimitRedisUrl, 'GATEWAY_RATE_LIMIT_REDIS_URL') : undefined;
  const timeoutMs = config.gateway.kafkaTimeoutMs;
  // kafkajs's retries must end before the request is answered 503: an event whose send is still being
  // retried after the answer could land after all, beside the sender's retry (the workflows would apply
  // it once, but "503 means not written" is what a sender should be able to count on in the common case).
  const kafka = createKafka(config, 'gateway', log, { retry: { initialRetryTime: 100, maxRetryTime: 1_000, retries: 3 }, requestTimeout: Math.max(500, timeoutMs - 1_000) });
  const topics = Object.fromEntries(SOURCE_NAMES.map((name) => [name, WEBHOOK_SOURCES[name].topic(config)])) as Record<SourceName, string>;
  const producer = createIdempotentProducer(kafka);
  await prepareKafka(kafka, config, 'gateway', Object.values(topics));
  await producer.connect();

  const publish = async (topic: string, record: GatewayRecord) => {
    // W3C `traceparent` beside the event's own headers; a CloudEvents `traceparent` extension (ce_traceparent) is the sender's, kept as sent.
    const send = sendInSpan(topic, record.key, (trace) =>
      producer.send({ topic, acks: -1, timeout: timeoutMs, messages: [{ key: record.key, value: record.value, headers: { ...record.headers, ...trace } }] }),
    );
    // The answer's deadline is the setting itself: a sender such as Shopify gives up at its own (5 s).
    const [written] = await within(send, timeoutMs, 'the Kafka acknowledgement');
    return { partition: written!.partition, offset: written!.baseOffset ?? written!.offset ?? '' };
  };
  const app = await buildGatewayApp({
    secrets,
    topics,
    publish,
    maxBodyBytes: config.gateway.maxBodyBytes,
    maxEventBytes: config.ingest.maxEventBytes,
    toleranceMs: config.gateway.toleranceMs,
    rateLimitRps: config.gateway.rateLimitRps,
    rateLimitRedis,
    maxInFlight: config.gateway.maxInFlight,
    retryAfterSeconds: config.gateway.retryAfterSeconds,
    providers: config.gateway.providers,
    openapi: gatewayOpenApi(VERSION),
    ready: () => true,
    traced: tracing().enabled,
    logger: log,
    metrics: createGatewayMetrics(registry),
  });
  await listenOrExplain({ host: 'GATEWAY_HOST', port: 'GATEWAY_PORT' }, config.gateway, () => app.listen({ host: config.gateway.host, port: config.gateway.port }));
  const address = app.server.address() as AddressInfo;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  log.info({ url, sources: SOURCE_NAMES.filter((name) => secrets[name]), topics }, 'gateway listening');
  return {
    url,
    isReady: () => true,
    stop: async () => {
      // Requests in flight get their answer; new ones get 503 while it closes.
      await app.close();
      await producer.disconnect();
      rateLimitRedis?.disconnect();
    },
  };
}

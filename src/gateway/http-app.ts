import { context } from '@opentelemetry/api';
import type { Redis } from 'ioredis';
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import { EventProcessingError } from '../event/errors.ts';
import type { Logger } from '../observability/logger.ts';
import type { GatewayMetrics } from '../observability/metrics.ts';
import { ORDER_ID } from '../observability/order-spans.ts';
import { JSON_BODY, STRUCTURED, toGatewayRecord, type GatewayRecord } from './http-binding.ts';
import type { IgnoredEvent, ProviderOptions } from './provider.ts';
import type { SourceSecrets } from './secrets.ts';
import { verifySignature } from './signature.ts';
import { SOURCE_NAMES, WEBHOOK_SOURCES, type SourceName } from './sources.ts';

export interface GatewayAppOptions {
  secrets: SourceSecrets;
  topics: Record<SourceName, string>;
  /** Resolves once Kafka has acknowledged the record (acks=all); rejects when it can't say so in time. */
  publish(topic: string, record: GatewayRecord): Promise<{ partition: number; offset: string }>;
  maxBodyBytes: number;
  /** Ingest's own limit: an event the gateway accepts must not be dead-lettered as too large. */
  maxEventBytes: number;
  toleranceMs: number;
  rateLimitRps: number;
  /** Where the rate limit's counts live when instances share it; in memory without. */
  rateLimitRedis?: Redis;
  maxInFlight: number;
  retryAfterSeconds: number;
  /** How provider payloads name the order. */
  providers?: ProviderOptions;
  openapi: Record<string, unknown>;
  ready(): boolean;
  /** A server span per webhook request (@fastify/otel), continuing the sender's `traceparent`. */
  traced?: boolean;
  logger: Logger;
  metrics: GatewayMetrics;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** An RFC 9457 problem document; `code` is the machine-readable reason, stable across releases. */
function problem(reply: FastifyReply, status: number, code: string, detail: string, extra: Record<string, unknown> = {}): FastifyReply {
  return reply
    .code(status)
    .type('application/problem+json')
    .send({ type: `urn:oms:gateway:${code}`, title: TITLES[status] ?? 'Error', status, code, detail, ...extra });
}

const sourceOf = (url: string | undefined): string => SOURCE_NAMES.find((name) => WEBHOOK_SOURCES[name].path === url) ?? 'none';

/**
 * The webhook endpoints. Per request, in this order: the source's rate limit (429), the media type
 * (415) and size (413) before the body is read, the signature over the raw bytes (401) before
 * anything parses them, validation against the event catalog (400), and the write to Kafka: 202
 * once it is acknowledged, 503 with Retry-After when it isn't, so the sender retries.
 */
export async function buildGatewayApp(options: GatewayAppOptions): Promise<FastifyInstance> {
  const log = options.logger;
  const app = Fastify({ logger: false, requestTimeout: 30_000, bodyLimit: options.maxBodyBytes });
  if (options.traced) {
    const { FastifyOtelInstrumentation } = await import('@fastify/otel');
    const instrumentation = new FastifyOtelInstrumentation({
      instrumentHooks: false,
      instrumentHandler: false,
      ignorePaths: (route) => !route.url.startsWith('/webhooks/'),
      requestHook: (span, request) => span.updateName(`${request.method} ${request.routeOptions.url ?? request.url}`),
    });
    await app.register(instrumentation.plugin());
  }
  // A shared count that can't be read lets the request through: refusing webhooks because Redis is away
  // would turn a protection into an outage.
  await app.register(rateLimit, { global: false, ...(options.rateLimitRedis ? { redis: options.rateLimitRedis, nameSpace: 'oms-gateway-rate:', skipOnError: true } : {}) });
  app.removeAllContentTypeParsers();
  // The raw bytes, unparsed: the signature is over them, and JSON is only read once it holds.
  app.addContentTypeParser([JSON_BODY, STRUCTURED], { parseAs: 'buffer', bodyLimit: options.maxBodyBytes }, (_request, body, done) => done(null, body));

  app.addHook('onResponse', async (request, reply) => {
    const source = sourceOf(request.routeOptions.url);
    options.metrics.requests.inc({ source, status: String(reply.statusCode) });
    if (source !== 'none') options.metrics.duration.observe({ source }, reply.elapsedTime / 1_000);
  });
  app.setNotFoundHandler((request, reply) => problem(reply, 404, 'not-found', `no endpoint ${request.method} ${request.url.split('?')[0]}`));
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const source = sourceOf(request.routeOptions.url);
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return problem(reply, 415, 'unsupported-media-type', `expected ${STRUCTURED} or ${JSON_BODY}`);
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return problem(reply, 413, 'too-large', `the body is over the ${options.maxBodyBytes}-byte limit`);
    if (error.statusCode === 429) {
      log.warn({ source }, 'webhook refused: rate limit');
      return problem(reply, 429, 'rate-limited', `over ${options.rateLimitRps} requests per second from ${source}`);
    }
    if (error.statusCode !== undefined && error.statusCode < 500) return problem(reply, error.statusCode, 'bad-request', error.message);
    log.error({ err: error, source }, 'webhook failed');
    return problem(reply, 500, 'internal', 'the gateway failed to handle the request');
  });

  app.get('/healthz', async () => 'ok\n');
  app.get('/readyz', async (_request, reply) => (options.ready() ? 'ready\n' : reply.code(503).send('not ready\n')));
  app.get('/openapi.json', async () => options.openapi);

  let inFlight = 0;
  for (const name of SOURCE_NAMES) {
    const source = WEBHOOK_SOURCES[name];
    const secrets = options.secrets[name];
    const topic = options.topics[name];
    // Keyed by the topic, so gateways of one deployment share a source's count and other deployments don't.
    const rateLimitConfig = { max: options.rateLimitRps, timeWindow: 1_000, keyGenerator: () => topic };
    app.post(source.path, { config: { rateLimit: rateLimitConfig } }, async (request, reply) => {
      if (!secrets) return problem(reply, 404, 'source-not-configured', `${name} has no secret in GATEWAY_SECRETS`);
      const body = request.body;
      if (!Buffer.isBuffer(body)) return problem(reply, 415, 'unsupported-media-type', `expected ${STRUCTURED} or ${JSON_BODY}`);
      const signature = request.headers[source.signature.header];
      const verdict = verifySignature(source.signature, secrets, Array.isArray(signature) ? signature[0] : signature, body, { nowMs: Date.now(), toleranceMs: options.toleranceMs });
      if (!verdict.ok) {
        log.info({ source: name, code: verdict.reason, ip: request.ip }, 'webhook refused: signature');
        return problem(reply, 401, verdict.reason, verdict.reason === 'stale-timestamp' ? `the signed timestamp is more than ${options.toleranceMs / 1_000} s from now` : `a valid ${source.signature.header} header is required`);
      }

      let record: GatewayRecord | IgnoredEvent;
      try {
        const mediaType = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
        record = toGatewayRecord(name, { headers: request.headers, body, mediaType }, options.maxEventBytes, options.providers);
      } catch (error) {
        if (!(error instanceof EventProcessingError)) throw error;
        options.metrics.refused.inc({ source: name, reason: error.reason });
        log.info({ source: name, code: error.reason, fields: error.fields.map((issue) => issue.field) }, 'webhook refused: invalid event');
        if (error.reason === 'too-large') return problem(reply, 413, 'too-large', error.message);
        return problem(reply, 400, error.reason, error.message, { errors: error.fields });
      }
      if ('ignored' in record) {
        // The provider would retry any other answer, and in the end drop the subscription.
        options.metrics.ignored.inc({ source: name, type: record.ignored });
        log.debug({ source: name, type: record.ignored }, 'webhook ignored: a type this service does not handle');
        return reply.code(200).send({ status: 'ignored', type: record.ignored, detail: `${record.ignored} is not an event this service handles; nothing was written` });
      }

      const otel = options.traced ? request.opentelemetry() : undefined;
      otel?.span?.setAttributes({ [ORDER_ID]: record.key, 'cloudevents.event_id': record.event.id, 'cloudevents.event_type': record.event.type });
      // The rest in the request's span: its log lines name it, and the record's `traceparent` continues its trace.
      const accept = async () => {
        if (inFlight >= options.maxInFlight) {
          log.warn({ source: name, inFlight }, 'webhook refused: too many in flight');
          return problem(reply.header('retry-after', '1'), 503, 'overloaded', `over ${options.maxInFlight} requests in flight`);
        }
        inFlight += 1;
        options.metrics.inFlight.set(inFlight);
        try {
          const written = await options.publish(topic, record);
          log.debug({ source: name, orderId: record.key, eventId: record.event.id, type: record.event.type, topic, ...written }, 'webhook accepted');
          return reply.code(202).send({ status: 'accepted', id: record.event.id, type: record.event.type, orderId: record.key, topic, ...written });
        } catch (error) {
          log.warn({ source: name, eventId: record.event.id, err: { message: (error as Error).message } }, 'webhook refused: Kafka unavailable');
          return problem(reply.header('retry-after', String(options.retryAfterSeconds)), 503, 'kafka-unavailable', 'the event could not be written to Kafka; retry later');
        } finally {
          inFlight -= 1;
          options.metrics.inFlight.set(inFlight);
        }
      };
      return otel?.context ? context.with(otel.context, accept) : accept();
    });
  }
  return app;
}

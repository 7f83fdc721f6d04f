import cors from '@fastify/cors';
import type { Payload, PayloadCodec } from '@temporalio/common';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { listenOrExplain } from '../config/listen-failure.ts';
import type { Logger } from '../observability/logger.ts';
import { PayloadDecryptionError } from '../temporal/encryption-codec.ts';

export interface CodecServerOptions {
  /** The payload codec of the workers and clients (factory.ts), not a copy of it. */
  codec: PayloadCodec;
  /** Credentials accepted: as `Authorization: Bearer <token>`, or in the path (`/t/<token>/decode`) for a UI that sends no header. */
  tokens: string[];
  /** Browser origins of the Temporal UI allowed to call it (CORS). */
  uiOrigins: string[];
  host: string;
  port: number;
  logger: Logger;
}

export interface RunningCodecServer {
  url: string;
  close(): Promise<void>;
}

/** Temporal's codec-server wire format: payloads as proto3 JSON, bytes in base64. */
interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}
const PAYLOADS_BODY = {
  type: 'object',
  required: ['payloads'],
  properties: {
    payloads: {
      type: 'array',
      items: { type: 'object', properties: { metadata: { type: 'object', additionalProperties: { type: 'string' } }, data: { type: 'string' } } },
    },
  },
} as const;

const fromJson = (payload: JsonPayload): Payload => ({
  metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64')])),
  data: Buffer.from(payload.data ?? '', 'base64'),
});
const toJson = (payload: Payload): JsonPayload => ({
  metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value ?? []).toString('base64')])),
  data: Buffer.from(payload.data ?? []).toString('base64'),
});

/**
 * `oms codec-server`: POST /encode and /decode for the Temporal UI and `temporal --codec-endpoint`.
 * It decrypts customer data for whoever holds a token, so it binds to loopback unless told otherwise,
 * refuses any request without a valid token, and answers CORS only for the configured UI origins.
 */
export async function startCodecServer(options: CodecServerOptions): Promise<RunningCodecServer> {
  // Compared as digests: equal lengths for timingSafeEqual, and no early exit on the first differing byte.
  const digests = options.tokens.map((token) => createHash('sha256').update(token).digest());
  const valid = (token: string | undefined) => {
    if (!token) return false;
    const digest = createHash('sha256').update(token).digest();
    return digests.some((known) => timingSafeEqual(known, digest));
  };

  const app = Fastify({ bodyLimit: 16 * 1024 * 1024, logger: false });
  await app.register(cors, {
    origin: (origin, callback) => callback(null, origin !== undefined && options.uiOrigins.includes(origin)),
    methods: ['POST'],
    allowedHeaders: ['content-type', 'authorization', 'x-namespace'],
    credentials: true,
    maxAge: 600,
  });
  app.get('/healthz', async () => 'ok\n');

  const handle = (direction: 'encode' | 'decode') => async (request: FastifyRequest<{ Body: { payloads: JsonPayload[] }; Params: { token?: string } }>, reply: FastifyReply) => {
    const bearer = /^Bearer (.+)$/i.exec(request.headers.authorization ?? '')?.[1];
    if (!valid(bearer ?? request.params.token)) {
      options.logger.warn({ direction, origin: request.headers.origin, ip: request.ip }, 'codec request refused: no valid token');
      return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'a valid token is required' });
    }
    try {
      const payloads = await options.codec[direction](request.body.payloads.map(fromJson));
      return { payloads: payloads.map(toJson) };
    } catch (error) {
      if (error instanceof PayloadDecryptionError) return reply.code(422).send({ error: error.message, reason: error.reason });
      throw error;
    }
  };
  for (const direction of ['encode', 'decode'] as const) {
    app.post(`/${direction}`, { schema: { body: PAYLOADS_BODY } }, handle(direction));
    app.post(`/t/:token/${direction}`, { schema: { body: PAYLOADS_BODY } }, handle(direction));
  }

  await listenOrExplain({ host: 'CODEC_SERVER_HOST', port: 'CODEC_SERVER_PORT' }, options, () => app.listen({ host: options.host, port: options.port }));
  const address = app.server.address() as AddressInfo;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  options.logger.info({ url, uiOrigins: options.uiOrigins }, 'codec server listening');
  return { url, close: () => app.close() };
}

import { z } from 'zod';
import { EVENT_DATA_SCHEMAS, type EventType } from '../event/catalog.ts';
import { eventJsonSchema } from '../event/json-schemas.ts';
import { STRUCTURED, JSON_BODY } from './http-binding.ts';
import { SOURCE_NAMES, sourceTypes, WEBHOOK_SOURCES, type SourceName } from './sources.ts';

type Schema = Record<string, unknown>;

/** A component may not carry its own dialect or id: the document's (JSON Schema 2020-12) applies. */
const component = ({ $schema: _dialect, $id: _id, ...schema }: Schema): Schema => schema;
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const dataName = (type: EventType) => `${type}.data`;

const retryAfter = { 'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer', minimum: 0 } } };
const problem = (description: string, headers?: Schema) => ({ description, ...(headers ? { headers } : {}), content: { 'application/problem+json': { schema: ref('Problem') } } });

function signatureDescription(source: SourceName): string {
  const scheme = WEBHOOK_SOURCES[source].signature;
  if (scheme.kind === 'timestamped') return 'HMAC-SHA256 over `<unix seconds>.<raw body>` with the source secret: `t=<unix seconds>,v1=<hex>`; refused outside the tolerance window (GATEWAY_SIGNATURE_TOLERANCE_S)';
  return `HMAC-SHA256 over the raw body with the source secret, ${scheme.encoding}-encoded${scheme.prefix ? `, prefixed \`${scheme.prefix}\`` : ''}`;
}

function providerBody(source: SourceName): Schema {
  const data = { anyOf: sourceTypes(source).map((type) => ref(dataName(type))) };
  return WEBHOOK_SOURCES[source].provider.bodySchema(data);
}

function webhookOperation(source: SourceName): Schema {
  const { signature, provider } = WEBHOOK_SOURCES[source];
  const types = sourceTypes(source);
  return {
    operationId: `${source}Webhook`,
    summary: `A ${source} event (${types.join(', ')}), written to its topic keyed by order id`,
    description: `A CloudEvent in structured mode (${STRUCTURED}) or binary mode (${JSON_BODY} with ce-* headers), or the provider's own request: ${provider.body}. A delivery retried with the same event id is accepted again; the workflows apply it once.`,
    parameters: [
      { name: signature.header, in: 'header', required: true, description: signatureDescription(source), schema: { type: 'string' } },
      ...Object.entries(provider.headers).map(([name, description]) => ({ name, in: 'header', required: false, description: `Provider style: ${description}`, schema: { type: 'string' } })),
      ...['id', 'source', 'type', 'subject', 'time'].map((attribute) => ({ name: `ce-${attribute}`, in: 'header', required: false, description: `Binary mode: the CloudEvent's ${attribute}`, schema: { type: 'string' } })),
      { name: 'ce-specversion', in: 'header', required: false, description: 'Binary mode: "1.0"; its presence selects binary mode', schema: { const: '1.0' } },
    ],
    requestBody: {
      required: true,
      content: {
        [STRUCTURED]: { schema: { anyOf: types.map((type) => ref(type)) } },
        [JSON_BODY]: { schema: providerBody(source) },
      },
    },
    responses: {
      '200': { description: "A provider event of a type this service doesn't handle: nothing was written", content: { 'application/json': { schema: ref('Ignored') } } },
      '202': { description: 'Kafka acknowledged the event (acks=all)', content: { 'application/json': { schema: ref('Accepted') } } },
      '400': problem('Not a valid event: `errors` names each field at fault'),
      '401': problem('Missing, malformed or wrong signature, or a stale timestamp (`code` says which)'),
      '404': problem('The source has no secret configured'),
      '413': problem('The body is over GATEWAY_MAX_BODY_BYTES'),
      '415': problem(`The body is neither ${STRUCTURED} nor ${JSON_BODY}`),
      '429': problem('Over the per-source rate limit', retryAfter),
      '503': problem('Kafka did not acknowledge the event in time, or too many requests are in flight: retry after Retry-After; the event may or may not be on the topic', retryAfter),
    },
  };
}

/** The gateway's OpenAPI 3.1 document, made from the event catalog and the source table. */
export function gatewayOpenApi(version: string): Schema {
  const types = Object.keys(EVENT_DATA_SCHEMAS) as EventType[];
  const text = (description: string) => ({ description, content: { 'text/plain': { schema: { type: 'string' } } } });
  return {
    openapi: '3.1.0',
    info: { title: 'oms gateway', version, description: 'Signed webhooks into the inbound Kafka topics, acknowledged only once Kafka has them.' },
    paths: {
      ...Object.fromEntries(SOURCE_NAMES.map((source) => [WEBHOOK_SOURCES[source].path, { post: webhookOperation(source) }])),
      '/healthz': { get: { operationId: 'healthz', responses: { '200': text('The process is alive') } } },
      '/readyz': { get: { operationId: 'readyz', responses: { '200': text('Connected to Kafka'), '503': text('Not yet connected') } } },
      '/openapi.json': { get: { operationId: 'openapi', responses: { '200': { description: 'This document', content: { 'application/json': { schema: { type: 'object' } } } } } } },
    },
    components: {
      schemas: {
        ...Object.fromEntries(types.map((type) => [type, component(eventJsonSchema(type))])),
        ...Object.fromEntries(types.map((type) => [dataName(type), component(z.toJSONSchema(EVENT_DATA_SCHEMAS[type], { target: 'draft-2020-12', io: 'input' }) as Schema)])),
        Accepted: {
          type: 'object',
          required: ['status', 'id', 'type', 'orderId', 'topic', 'partition', 'offset'],
          properties: {
            status: { const: 'accepted' },
            id: { type: 'string' },
            type: { enum: types },
            orderId: { type: 'string' },
            topic: { type: 'string' },
            partition: { type: 'integer' },
            offset: { type: 'string' },
          },
        },
        Ignored: {
          type: 'object',
          required: ['status', 'type', 'detail'],
          properties: { status: { const: 'ignored' }, type: { type: 'string', description: "The provider's event type" }, detail: { type: 'string' } },
        },
        Problem: {
          type: 'object',
          required: ['type', 'title', 'status', 'code', 'detail'],
          properties: {
            type: { type: 'string' },
            title: { type: 'string' },
            status: { type: 'integer' },
            code: { type: 'string' },
            detail: { type: 'string' },
            errors: { type: 'array', items: { type: 'object', required: ['field', 'message'], properties: { field: { type: 'string' }, message: { type: 'string' } } } },
          },
        },
      },
    },
  };
}

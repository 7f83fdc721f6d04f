import type { Config } from '../config/config.ts';
import type { EventType } from '../event/catalog.ts';
import { EventProcessingError } from '../event/errors.ts';
import type { SignatureScheme } from './signature.ts';

/**
 * A request that is not a CloudEvent, as its provider sends it, turned into CloudEvent attributes.
 * Only the envelope is the mapping's: the data is validated by the event catalog, like any event.
 */
export interface MappedEvent {
  id: string;
  type: string;
  time?: string;
  data: unknown;
}

export interface ProviderMapping {
  /** The provider's own event names, and ours. */
  types: Readonly<Record<string, EventType>>;
  /** The headers it reads, described for /openapi.json. */
  headers: Readonly<Record<string, string>>;
  /** What the body is, for /openapi.json. */
  body: string;
  /** Where in the body the event's data is: a 400 names a field as the sender wrote it. */
  dataAt: readonly string[];
  toEvent(header: (name: string) => string | undefined, body: unknown): MappedEvent;
}

export interface WebhookSource {
  path: string;
  topic(config: Config): string;
  /** The CloudEvent `source` of a provider-style request. */
  ceSource: string;
  signature: SignatureScheme;
  provider: ProviderMapping;
}

const refuse = (field: string, message: string) => EventProcessingError.permanent('invalid-envelope', `${field}: ${message}`, { fields: [{ field, message }] });

function mappedType(types: Readonly<Record<string, EventType>>, given: unknown, field: string): EventType {
  if (typeof given !== 'string' || !Object.hasOwn(types, given)) throw refuse(field, `expected one of ${Object.keys(types).join(', ')}`);
  return types[given]!;
}

/** Senders that name the event in one header and a delivery id in another, with the data as the body. */
function headerMapping(options: { typeHeader: string; idHeader: string; timeHeader?: string; types: Record<string, EventType>; body: string }): ProviderMapping {
  return {
    types: options.types,
    body: options.body,
    dataAt: [],
    headers: {
      [options.typeHeader]: `the event: ${Object.keys(options.types).join(', ')}`,
      [options.idHeader]: 'the delivery id, the same on every retry of a delivery: the event id',
      ...(options.timeHeader ? { [options.timeHeader]: 'when the event happened (RFC 3339), optional' } : {}),
    },
    toEvent: (header, body) => {
      const id = header(options.idHeader);
      if (!id) throw refuse(options.idHeader, 'the delivery id header is required');
      return { id, type: mappedType(options.types, header(options.typeHeader), options.typeHeader), time: options.timeHeader ? header(options.timeHeader) : undefined, data: body };
    },
  };
}

const PAYMENT_TYPES: Record<string, EventType> = {
  'payment_intent.amount_capturable_updated': 'payment.authorized',
  'payment_intent.succeeded': 'payment.captured',
  'payment_intent.payment_failed': 'payment.failed',
  'payment_intent.processing': 'payment.pending',
};

/**
 * The webhook sources: one row each, as the routing table has one row per event type. A source's
 * secrets come from GATEWAY_SECRETS under its name; its events go to its topic, keyed by order id.
 */
export const SOURCE_NAMES = ['commerce', 'payments', 'support'] as const;
export type SourceName = (typeof SOURCE_NAMES)[number];

export const WEBHOOK_SOURCES: Record<SourceName, WebhookSource> = {
  commerce: {
    path: '/webhooks/commerce',
    topic: (config) => config.topics.orderEvents,
    ceSource: '/gateway/commerce',
    // Shopify's scheme: base64 HMAC-SHA256 of the raw body.
    signature: { kind: 'body', header: 'x-shopify-hmac-sha256', encoding: 'base64' },
    provider: headerMapping({
      typeHeader: 'x-shopify-topic',
      idHeader: 'x-shopify-webhook-id',
      timeHeader: 'x-shopify-triggered-at',
      types: { 'orders/create': 'order.created', 'orders/updated': 'order.updated', 'orders/cancelled': 'order.cancelled' },
      body: 'the order, as the data of the event type',
    }),
  },
  payments: {
    path: '/webhooks/payments',
    topic: (config) => config.topics.paymentEvents,
    ceSource: '/gateway/payments',
    // Stripe's scheme: `t=<unix seconds>,v1=<hex>` over `<t>.<raw body>`, refused outside the tolerance window.
    signature: { kind: 'timestamped', header: 'stripe-signature' },
    provider: {
      types: PAYMENT_TYPES,
      headers: {},
      dataAt: ['data', 'object'],
      body: 'a Stripe-style event: {"id": "evt_...", "type": "payment_intent.succeeded", "created": <unix seconds>, "data": {"object": <the payment>}}',
      toEvent: (_header, body) => {
        const event = (typeof body === 'object' && body !== null ? body : {}) as { id?: unknown; type?: unknown; created?: unknown; data?: { object?: unknown } };
        if (typeof event.id !== 'string' || event.id.length === 0) throw refuse('id', 'the provider event id is required');
        const type = mappedType(PAYMENT_TYPES, event.type, 'type');
        const created = typeof event.created === 'number' && Number.isInteger(event.created) && event.created > 0 ? new Date(event.created * 1_000) : undefined;
        return { id: event.id, type, time: created && !Number.isNaN(created.getTime()) ? created.toISOString() : undefined, data: event.data?.object };
      },
    },
  },
  support: {
    path: '/webhooks/support',
    topic: (config) => config.topics.supportCommands,
    ceSource: '/gateway/support',
    // GitHub's scheme: `sha256=<hex>` of the raw body.
    signature: { kind: 'body', header: 'x-signature-256', encoding: 'hex', prefix: 'sha256=' },
    provider: headerMapping({
      typeHeader: 'x-support-event',
      idHeader: 'x-support-delivery',
      types: { 'order.reprocess': 'order.reprocess', 'order.review': 'order.review' },
      body: 'the command, as the data of the event type',
    }),
  },
};

/** The event types a source may send: a commerce secret can't write a payment event. */
export const sourceTypes = (source: SourceName): EventType[] => [...new Set(Object.values<EventType>(WEBHOOK_SOURCES[source].provider.types))];

import type { Config } from '../config/config.ts';
import type { EventType } from '../event/catalog.ts';
import { headerMapping, type ProviderMapping } from './provider.ts';
import { shopifyMapping } from './providers/shopify.ts';
import { stripeMapping } from './providers/stripe.ts';
import type { SignatureScheme } from './signature.ts';

export interface WebhookSource {
  path: string;
  topic(config: Config): string;
  /** The CloudEvent `source` of a provider-style request. */
  ceSource: string;
  signature: SignatureScheme;
  provider: ProviderMapping;
}

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
    provider: shopifyMapping,
  },
  payments: {
    path: '/webhooks/payments',
    topic: (config) => config.topics.paymentEvents,
    ceSource: '/gateway/payments',
    // Stripe's scheme: `t=<unix seconds>,v1=<hex>` over `<t>.<raw body>`, refused outside the tolerance window.
    signature: { kind: 'timestamped', header: 'stripe-signature' },
    provider: stripeMapping,
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

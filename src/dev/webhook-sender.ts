import { randomUUID } from 'node:crypto';
import type { OrderData } from '../event/catalog.ts';
import { JSON_BODY, STRUCTURED } from '../gateway/http-binding.ts';
import { signatureHeader } from '../gateway/signature.ts';
import { WEBHOOK_SOURCES, type SourceName } from '../gateway/sources.ts';
import type { CloudEvent } from './standins/events.ts';

/** A webhook as a sender puts it on the wire, before signing. */
export interface Webhook {
  body: string | Buffer;
  contentType: string;
  headers?: Record<string, string>;
}

export interface WebhookAnswer {
  status: number;
  retryAfter: string | null;
  json: Record<string, unknown>;
}

export interface SendOptions {
  /** Sign with this secret instead of the source's; null: send no signature at all. */
  secret?: string | null;
  /** The signing time, for the timestamped scheme (a stale one, say). */
  nowMs?: number;
  /** Sign these bytes instead of the body sent: a body changed after signing. */
  signAs?: string | Buffer;
  /** A signature header made elsewhere (by the Stripe SDK, say), sent as it is. */
  signature?: string;
}

/**
 * Sends webhooks to `oms gateway` as the commerce app, the payment provider and the support tools
 * would: each signed with its source's scheme and secret. For the demo, the tests and the benchmark.
 */
export function webhookSender(baseUrl: string, secrets: Partial<Record<SourceName, string>>) {
  return async function send(source: SourceName, webhook: Webhook, options: SendOptions = {}): Promise<WebhookAnswer> {
    const scheme = WEBHOOK_SOURCES[source].signature;
    const secret = options.secret === undefined ? secrets[source] : options.secret;
    const headers: Record<string, string> = { 'content-type': webhook.contentType, ...webhook.headers };
    if (options.signature !== undefined) headers[scheme.header] = options.signature;
    else if (secret) headers[scheme.header] = signatureHeader(scheme, secret, options.signAs ?? webhook.body, options.nowMs);
    const response = await fetch(`${baseUrl}${WEBHOOK_SOURCES[source].path}`, { method: 'POST', headers, body: webhook.body });
    const text = await response.text();
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      json = { text };
    }
    return { status: response.status, retryAfter: response.headers.get('retry-after'), json };
  };
}

export type WebhookSend = ReturnType<typeof webhookSender>;

/** The source a CloudEvent's type comes from. */
export const sourceOfType = (type: string): SourceName => (type.startsWith('payment.') ? 'payments' : type === 'order.reprocess' || type === 'order.review' ? 'support' : 'commerce');

/** A CloudEvent in structured mode, as it is. */
export const structuredWebhook = (event: CloudEvent): Webhook => ({ body: JSON.stringify(event), contentType: STRUCTURED });

/** A CloudEvent in binary mode: attributes as ce-* headers, the data as the body. */
export function binaryWebhook(event: CloudEvent): Webhook {
  const headers: Record<string, string> = { 'ce-specversion': '1.0', 'ce-id': event.id, 'ce-source': event.source, 'ce-type': event.type, 'ce-subject': event.subject, 'ce-time': event.time };
  return { body: JSON.stringify(event.data), contentType: JSON_BODY, headers };
}

/** An order webhook in this project's own shape: Shopify's topic and delivery headers, our order data as the body. */
export function shopifyOrderWebhook(order: OrderData, topic: 'orders/create' | 'orders/updated' = 'orders/create', deliveryId: string = randomUUID()): Webhook {
  return {
    body: JSON.stringify(order),
    contentType: JSON_BODY,
    headers: { 'x-shopify-topic': topic, 'x-shopify-webhook-id': deliveryId, 'x-shopify-triggered-at': new Date().toISOString() },
  };
}

const STRIPE_TYPES = { 'payment.authorized': 'payment_intent.amount_capturable_updated', 'payment.captured': 'payment_intent.succeeded', 'payment.failed': 'payment_intent.payment_failed', 'payment.pending': 'payment_intent.processing' } as const;

/** A payment event in this project's own shape: a Stripe event envelope, our payment data as data.object. */
export function stripePaymentWebhook(
  type: keyof typeof STRIPE_TYPES,
  payment: { orderId: string; paymentId: string; amount: number; currency: string },
  eventId = `evt_${randomUUID().replaceAll('-', '')}`,
): Webhook {
  return { body: JSON.stringify({ id: eventId, type: STRIPE_TYPES[type], created: Math.floor(Date.now() / 1_000), data: { object: payment } }), contentType: JSON_BODY };
}

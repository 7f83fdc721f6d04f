import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Stripe from 'stripe';

/**
 * Webhook bodies built from the providers' own published examples (test/fixtures/providers/README.md):
 * the fixture as it is, with only what a real delivery would differ in changed.
 */
const fixture = (name: string) => JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../fixtures/providers', name), 'utf8')) as Record<string, unknown>;

const STRIPE_EVENT = fixture('stripe/event.json');
const PAYMENT_INTENT = fixture('stripe/payment_intent.json');
const CHARGE = fixture('stripe/charge.json');
const SHOPIFY_ORDER = fixture('shopify/orders-create.json');
export const SHOPIFY_PRODUCT = fixture('shopify/products-update.json');

export interface ShopifyLine {
  sku: string;
  quantity: number;
  /** A decimal string, as Shopify sends money. */
  price: string;
}

const money = (amount: string, currency: string) => ({ shop_money: { amount, currency_code: currency }, presentment_money: { amount, currency_code: currency } });

/**
 * Shopify's example Order with our id, and optionally other lines, currency, or a cancellation. `id`
 * is the decimal string of Shopify's 64-bit id; in the body it is a JSON number, as Shopify sends it.
 */
export function shopifyOrderBody(options: { id: string; currency?: string; lines?: ShopifyLine[]; cancelReason?: string | null; noteAttributes?: { name: string; value: string }[] }): Record<string, unknown> {
  const currency = options.currency ?? (SHOPIFY_ORDER.currency as string);
  const template = (SHOPIFY_ORDER.line_items as Record<string, unknown>[])[0]!;
  const lineItems = options.lines
    ? options.lines.map((line, n) => ({ ...template, id: 1_000 + n, sku: line.sku, quantity: line.quantity, current_quantity: line.quantity, price: line.price, price_set: money(line.price, currency) }))
    : (SHOPIFY_ORDER.line_items as Record<string, unknown>[]);
  const digits = currency === 'JPY' ? 0 : 2;
  const linesTotal = lineItems.reduce((sum, item) => sum + Number(item.price) * Number(item.quantity), 0).toFixed(digits);
  return {
    ...SHOPIFY_ORDER,
    id: Number(options.id),
    admin_graphql_api_id: `gid://shopify/Order/${options.id}`,
    currency,
    presentment_currency: currency,
    line_items: lineItems,
    total_line_items_price: options.lines ? linesTotal : SHOPIFY_ORDER.total_line_items_price,
    note_attributes: options.noteAttributes ?? SHOPIFY_ORDER.note_attributes,
    cancel_reason: options.cancelReason === undefined ? SHOPIFY_ORDER.cancel_reason : options.cancelReason,
    cancelled_at: options.cancelReason === null ? null : SHOPIFY_ORDER.cancelled_at,
  };
}

/** The headers Shopify sends with an order webhook (the HMAC is the sender's to add). */
export const shopifyHeaders = (topic: string, webhookId = randomBytes(8).toString('hex')) => ({ 'x-shopify-topic': topic, 'x-shopify-webhook-id': webhookId, 'x-shopify-triggered-at': new Date().toISOString() });

export interface IntentOptions {
  orderId?: string;
  /** Minor units of the currency, as Stripe counts them. */
  amount: number;
  /** Lower case, as Stripe sends it. */
  currency: string;
  id?: string;
  status?: string;
  metadataKey?: string;
  lastPaymentError?: Record<string, unknown> | null;
}

export function paymentIntent(options: IntentOptions): Record<string, unknown> {
  return {
    ...PAYMENT_INTENT,
    id: options.id ?? `pi_${randomBytes(12).toString('hex')}`,
    amount: options.amount,
    amount_capturable: options.amount,
    currency: options.currency,
    status: options.status ?? 'requires_capture',
    metadata: options.orderId === undefined ? {} : { [options.metadataKey ?? 'orderId']: options.orderId },
    last_payment_error: options.lastPaymentError === undefined ? null : options.lastPaymentError,
  };
}

/** A Stripe Event (the webhook body) of a type, its data.object a PaymentIntent, or the object given. */
export function stripeEventBody(type: string, intent: IntentOptions | Record<string, unknown>, eventId = `evt_${randomBytes(12).toString('hex')}`): Record<string, unknown> {
  const object = 'amount' in intent && typeof intent.currency === 'string' && !('object' in intent) ? paymentIntent(intent as IntentOptions) : intent;
  return { ...STRIPE_EVENT, id: eventId, type, created: Math.floor(Date.now() / 1_000), data: { object } };
}

export const stripeCharge = (): Record<string, unknown> => ({ ...CHARGE, id: `ch_${randomBytes(12).toString('hex')}` });

const stripe = new Stripe('sk_test_unused_no_api_calls');

/** The Stripe-Signature header, made by Stripe's own SDK. */
export const stripeSignature = (payload: string, secret: string): string => stripe.webhooks.generateTestHeaderString({ payload, secret });

import { fromMinorUnits, isCurrency, minorUnitDigits } from '../../contract/money.ts';
import type { EventType } from '../../event/catalog.ts';
import { asRecord, fieldRenamer, refuse, type ProviderMapping } from '../provider.ts';

/**
 * Stripe's PaymentIntent events. The charge.* events are not taken: each one comes with the
 * payment_intent.* event of the same outcome, so they would only say it twice. Every other type is
 * answered 200 and ignored, as Stripe retries anything else for days.
 */
export const STRIPE_TYPES: Record<string, EventType> = {
  'payment_intent.amount_capturable_updated': 'payment.authorized',
  'payment_intent.succeeded': 'payment.captured',
  'payment_intent.payment_failed': 'payment.failed',
  'payment_intent.canceled': 'payment.failed',
  'payment_intent.processing': 'payment.pending',
};

/**
 * Where Stripe's API counts a currency in other units than ISO 4217 does
 * (https://docs.stripe.com/currencies#special-cases): ISK stays two-decimal in the API though it is
 * whole krónur (ISO 0); MGA is zero-decimal in the API (ISO 2).
 */
const STRIPE_DIGITS: Readonly<Record<string, number>> = { ISK: 2, MGA: 0 };

export const stripeMinorUnitDigits = (currency: string): number => STRIPE_DIGITS[currency] ?? minorUnitDigits(currency);

const PAYMENT_INTENT_FIELDS = (metadataKey: string) =>
  fieldRenamer([
    ['data.orderId', `data.object.metadata.${metadataKey}`],
    ['data.paymentId', 'data.object.id'],
    ['data.amount', 'data.object.amount'],
    ['data.currency', 'data.object.currency'],
    ['data.reason', 'data.object.last_payment_error'],
    ['data', 'data.object'],
  ]);

/** The payment data itself as data.object: this project's own shape, which earlier senders use. */
const OWN_SHAPE_FIELDS = fieldRenamer([['data', 'data.object']]);

/** The payment's failure, as Stripe words it: the error's message, else its code. */
function failureReason(intent: Record<string, unknown>, stripeType: string): string | undefined {
  const error = asRecord(intent.last_payment_error);
  for (const candidate of [error.message, error.decline_code, error.code, error.type]) if (typeof candidate === 'string' && candidate !== '') return candidate;
  if (stripeType === 'payment_intent.canceled') return `canceled${typeof intent.cancellation_reason === 'string' ? `: ${intent.cancellation_reason}` : ''}`;
  return undefined;
}

/** A PaymentIntent as our payment data: the amount from minor units by the currency's exponent, the order id from metadata. */
export function stripePaymentData(intent: Record<string, unknown>, stripeType: string, metadataKey: string): Record<string, unknown> {
  const orderId = asRecord(intent.metadata)[metadataKey];
  if (typeof orderId !== 'string' || orderId.trim() === '') {
    throw refuse(`data.object.metadata.${metadataKey}`, `the order id is required in the PaymentIntent's metadata under "${metadataKey}" (GATEWAY_STRIPE_ORDER_ID_KEY)`);
  }
  const currency = typeof intent.currency === 'string' ? intent.currency.toUpperCase() : intent.currency;
  let amount: unknown = intent.amount;
  if (typeof currency === 'string' && isCurrency(currency)) {
    if (typeof amount !== 'number' || !Number.isSafeInteger(amount)) throw refuse('data.object.amount', 'expected an integer count of minor units');
    amount = fromMinorUnits(amount, currency, stripeMinorUnitDigits(currency));
  }
  return { orderId, paymentId: intent.id, amount, currency, reason: failureReason(intent, stripeType) };
}

/** A Stripe event is Stripe's own when data.object says what it is (`"object": "payment_intent"`); ours never does. */
export const isStripeObject = (object: Record<string, unknown>) => typeof object.object === 'string';

export const stripeMapping: ProviderMapping = {
  types: STRIPE_TYPES,
  headers: {},
  body: 'a Stripe event, {"id": "evt_...", "type": "payment_intent.succeeded", "created": <unix seconds>, "data": {"object": <a PaymentIntent, or the payment data itself>}}; a PaymentIntent carries the order id in its metadata',
  bodySchema: (data) => ({
    type: 'object',
    required: ['id', 'type', 'data'],
    properties: {
      id: { type: 'string', minLength: 1 },
      type: { type: 'string', description: `${Object.keys(STRIPE_TYPES).join(', ')}; any other is answered 200 and ignored` },
      created: { type: 'integer' },
      data: {
        type: 'object',
        required: ['object'],
        properties: {
          object: {
            anyOf: [
              data,
              {
                type: 'object',
                description: "Stripe's PaymentIntent; only the fields mapped are described",
                required: ['object', 'id', 'amount', 'currency', 'metadata'],
                properties: {
                  object: { const: 'payment_intent' },
                  id: { type: 'string' },
                  amount: { type: 'integer', description: 'minor units of the currency' },
                  currency: { type: 'string', description: 'ISO 4217, lower case' },
                  metadata: { type: 'object', additionalProperties: { type: 'string' } },
                  last_payment_error: { type: ['object', 'null'] },
                },
              },
            ],
          },
        },
      },
    },
  }),
  toEvent: (_header, body, options) => {
    const event = asRecord(body);
    if (typeof event.id !== 'string' || event.id.length === 0) throw refuse('id', 'the provider event id is required');
    if (typeof event.type !== 'string' || event.type.length === 0) throw refuse('type', 'the provider event type is required');
    // Only Stripe's own events (`"object": "event"`) are ignored for their type; any other body of an unknown type is a sender's bug.
    if (!Object.hasOwn(STRIPE_TYPES, event.type)) {
      if (event.object === 'event') return { ignored: event.type };
      throw refuse('type', `expected one of ${Object.keys(STRIPE_TYPES).join(', ')}`);
    }
    const type = STRIPE_TYPES[event.type]!;
    const created = typeof event.created === 'number' && Number.isInteger(event.created) && event.created > 0 ? new Date(event.created * 1_000) : undefined;
    const time = created && !Number.isNaN(created.getTime()) ? created.toISOString() : undefined;
    const object = asRecord(asRecord(event.data).object);
    const senderField = PAYMENT_INTENT_FIELDS(options.stripeOrderIdKey);
    if (!isStripeObject(object)) return { id: event.id, type, time, data: asRecord(event.data).object, senderField: OWN_SHAPE_FIELDS };
    if (object.object !== 'payment_intent') throw refuse('data.object.object', `expected a payment_intent for ${event.type}`);
    return { id: event.id, type, time, data: stripePaymentData(object, event.type, options.stripeOrderIdKey), senderField };
  },
};

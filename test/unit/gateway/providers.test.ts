import { describe, expect, test } from 'vitest';
import { fromMinorUnits, minorUnitDigits, toMinorUnits } from '../../../src/contract/money.ts';
import { validateEvent } from '../../../src/event/envelope.ts';
import { EventProcessingError } from '../../../src/event/errors.ts';
import { toGatewayRecord, type GatewayRecord } from '../../../src/gateway/http-binding.ts';
import { DEFAULT_PROVIDER_OPTIONS, isIgnored, type MappedEvent, type ProviderOptions } from '../../../src/gateway/provider.ts';
import { shopifyMapping } from '../../../src/gateway/providers/shopify.ts';
import { stripeMapping } from '../../../src/gateway/providers/stripe.ts';
import { verifySignature } from '../../../src/gateway/signature.ts';
import { SHOPIFY_PRODUCT, shopifyHeaders, shopifyOrderBody, stripeCharge, stripeEventBody, stripeSignature } from '../../support/provider-payloads.ts';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const headerOf = (headers: Record<string, string>) => (name: string) => headers[name];
const mapShopify = (topic: string, body: unknown, options: ProviderOptions = DEFAULT_PROVIDER_OPTIONS) => shopifyMapping.toEvent(headerOf(shopifyHeaders(topic)), body, options);
const mapStripe = (body: unknown, options: ProviderOptions = DEFAULT_PROVIDER_OPTIONS) => stripeMapping.toEvent(() => undefined, body, options);
const mapped = (verdict: ReturnType<typeof mapShopify>) => {
  expect(isIgnored(verdict)).toBe(false);
  return verdict as MappedEvent;
};
const refusal = (run: () => unknown): EventProcessingError => {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(EventProcessingError);
    return error as EventProcessingError;
  }
  throw new Error('expected a refusal');
};

/** Through the whole binding, as the gateway runs it: the record it would write, or its refusal. */
const viaGateway = (source: 'commerce' | 'payments', body: unknown, headers: Record<string, string> = {}, options = DEFAULT_PROVIDER_OPTIONS) =>
  toGatewayRecord(source, { headers: { 'content-type': 'application/json', ...headers }, body: Buffer.from(JSON.stringify(body)), mediaType: 'application/json' }, 1_000_000, options);

describe('money by ISO 4217', () => {
  test.each([
    ['JPY', 0, 1665, 1665],
    ['EUR', 2, 45.48, 4548],
    ['KWD', 3, 12.345, 12345],
    ['USD', 2, 199, 19900],
  ])('%s has %i digits: %d is %d minor units, and back', (currency, digits, amount, minor) => {
    expect(minorUnitDigits(currency)).toBe(digits);
    expect(toMinorUnits(amount, currency)).toBe(minor);
    expect(fromMinorUnits(minor, currency)).toBe(amount);
  });
});

describe("Shopify's Order object (the documented orders/create example)", () => {
  const fixture = JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../../fixtures/providers/shopify/orders-create.json'), 'utf8')) as Record<string, unknown>;

  test('maps field by field, the id from admin_graphql_api_id: 820982911946154508 is above 2^53, and JSON.parse alone reads ...500', () => {
    expect(fixture.id).toBe(820982911946154500);
    const event = mapped(mapShopify('orders/create', fixture));
    expect(event.type).toBe('order.created');
    expect(event.data).toEqual({
      orderId: '820982911946154508',
      customer: { id: '115310627314723954', email: 'john@example.com', name: 'John Smith' },
      lines: [
        { sku: 'IPOD2008PINK', quantity: 1, unitPrice: 199 },
        { sku: 'IPOD2008PINK', quantity: 1, unitPrice: 199 },
      ],
      currency: 'USD',
      shippingAddress: { line1: '123 Shipping Street', city: 'Shippington', postalCode: '40003', country: 'US' },
      total: 398,
    });
  });

  test('the order id by configuration: name, order_number, or a note attribute', () => {
    const body = shopifyOrderBody({ id: '5208334008572', noteAttributes: [{ name: 'oms-order', value: 'ORD-7' }] });
    expect((mapped(mapShopify('orders/create', body, { ...DEFAULT_PROVIDER_OPTIONS, shopifyOrderId: { field: 'id' } })).data as { orderId: string }).orderId).toBe('5208334008572');
    expect((mapped(mapShopify('orders/create', body, { ...DEFAULT_PROVIDER_OPTIONS, shopifyOrderId: { field: 'name' } })).data as { orderId: string }).orderId).toBe('#9999');
    expect((mapped(mapShopify('orders/create', body, { ...DEFAULT_PROVIDER_OPTIONS, shopifyOrderId: { field: 'order_number' } })).data as { orderId: string }).orderId).toBe('1234');
    expect((mapped(mapShopify('orders/create', body, { ...DEFAULT_PROVIDER_OPTIONS, shopifyOrderId: { noteAttribute: 'oms-order' } })).data as { orderId: string }).orderId).toBe('ORD-7');
    const missing = refusal(() => mapShopify('orders/create', body, { ...DEFAULT_PROVIDER_OPTIONS, shopifyOrderId: { noteAttribute: 'absent' } }));
    expect(missing.fields.map((issue) => [issue.field, issue.message.includes('absent')])).toEqual([['note_attributes', true]]);
    const noGid = { ...fixture, admin_graphql_api_id: undefined };
    expect(refusal(() => mapShopify('orders/create', noGid)).fields[0]!.field).toBe('id');
  });

  test('orders/cancelled carries cancel_reason; orders/updated the whole order again', () => {
    const body = shopifyOrderBody({ id: '5208334008572', cancelReason: 'fraud' });
    expect(mapped(mapShopify('orders/cancelled', body))).toMatchObject({ type: 'order.cancelled', data: { orderId: '5208334008572', reason: 'fraud' } });
    expect(mapped(mapShopify('orders/updated', body))).toMatchObject({ type: 'order.updated', data: { orderId: '5208334008572', lines: [{ unitPrice: 199 }, { unitPrice: 199 }] } });
  });

  test('a topic this service does not handle is ignored; a missing topic header is refused', () => {
    expect(mapShopify('products/update', SHOPIFY_PRODUCT)).toEqual({ ignored: 'products/update' });
    expect(mapShopify('orders/paid', fixture)).toEqual({ ignored: 'orders/paid' });
    expect(refusal(() => shopifyMapping.toEvent(() => undefined, fixture, DEFAULT_PROVIDER_OPTIONS)).fields[0]!.field).toBe('x-shopify-topic');
  });

  test("through the binding: a CloudEvent ingest accepts; what can't be mapped is refused in Shopify's field names", () => {
    const written = viaGateway('commerce', shopifyOrderBody({ id: '5208334008572', currency: 'JPY', lines: [{ sku: 'SKU-0001', quantity: 2, price: '1665' }] }), shopifyHeaders('orders/create')) as GatewayRecord;
    expect(written.key).toBe('5208334008572');
    const event = validateEvent({ key: Buffer.from(written.key), value: written.value, headers: written.headers }, 1_000_000);
    expect(event).toMatchObject({ type: 'order.created', subject: '5208334008572', source: '/gateway/commerce', data: { currency: 'JPY', lines: [{ unitPrice: 1665 }], total: 3330 } });

    const tooPrecise = refusal(() => viaGateway('commerce', shopifyOrderBody({ id: '5208334008573', lines: [{ sku: 'A', quantity: 1, price: '19.999' }] }), shopifyHeaders('orders/create')));
    expect(tooPrecise.reason).toBe('schema-invalid');
    expect(tooPrecise.fields.map((issue) => issue.field)).toEqual(['line_items.0.price']);
    expect(tooPrecise.fields[0]!.message).toBe('has more decimals than USD allows (2)');
    const yen = refusal(() => viaGateway('commerce', shopifyOrderBody({ id: '5208334008574', currency: 'JPY', lines: [{ sku: 'A', quantity: 1, price: '1665.50' }] }), shopifyHeaders('orders/create')));
    expect(yen.fields).toEqual([{ field: 'line_items.0.price', message: 'has more decimals than JPY allows (0)' }]);
    const noCustomer = refusal(() => viaGateway('commerce', { ...shopifyOrderBody({ id: '5208334008575' }), customer: null, email: null, contact_email: null }, shopifyHeaders('orders/create')));
    expect(noCustomer.fields.map((issue) => issue.field).sort()).toEqual(['customer.email', 'customer.first_name', 'customer.id']);
    const noAddress = refusal(() => viaGateway('commerce', { ...shopifyOrderBody({ id: '5208334008576' }), shipping_address: null }, shopifyHeaders('orders/create')));
    expect(noAddress.fields.map((issue) => issue.field)).toEqual(['shipping_address']);
  });

  test('a body in the project\'s own shape (it names orderId) still passes as it is', () => {
    const own = { orderId: 'ORD-own-1', reason: 'customer asked' };
    expect(mapped(mapShopify('orders/cancelled', own))).toMatchObject({ type: 'order.cancelled', data: own });
  });
});

describe("Stripe's PaymentIntent (Stripe's OpenAPI fixture)", () => {
  test.each([
    ['eur', 4548, 'EUR', 45.48],
    ['jpy', 1665, 'JPY', 1665],
    ['kwd', 12340, 'KWD', 12.34],
    ['isk', 50000, 'ISK', 500],
    ['mga', 5000, 'MGA', 5000],
  ])('%s %d minor units is %s %d: the currency upper-cased, the amount by its exponent (Stripe special cases included)', (currency, minor, upper, amount) => {
    const event = mapped(mapStripe(stripeEventBody('payment_intent.succeeded', { orderId: 'ORD-1', amount: minor, currency, id: 'pi_123' })));
    expect(event).toMatchObject({ type: 'payment.captured', data: { orderId: 'ORD-1', paymentId: 'pi_123', amount, currency: upper } });
  });

  test('each handled type, the failure reason from last_payment_error, and cancellation as a failure', () => {
    const types = { 'payment_intent.amount_capturable_updated': 'payment.authorized', 'payment_intent.succeeded': 'payment.captured', 'payment_intent.payment_failed': 'payment.failed', 'payment_intent.processing': 'payment.pending', 'payment_intent.canceled': 'payment.failed' };
    for (const [stripeType, ours] of Object.entries(types)) expect(mapped(mapStripe(stripeEventBody(stripeType, { orderId: 'ORD-1', amount: 100, currency: 'usd' }))).type).toBe(ours);
    const failed = mapped(mapStripe(stripeEventBody('payment_intent.payment_failed', { orderId: 'ORD-1', amount: 100, currency: 'usd', lastPaymentError: { type: 'card_error', code: 'card_declined', decline_code: 'insufficient_funds', message: 'Your card has insufficient funds.' } })));
    expect((failed.data as { reason: string }).reason).toBe('Your card has insufficient funds.');
    // The fixture's own last_payment_error: a type and nothing else.
    const fixtureError = mapped(mapStripe(stripeEventBody('payment_intent.payment_failed', { orderId: 'ORD-1', amount: 100, currency: 'usd', lastPaymentError: { type: 'idempotency_error' } })));
    expect((fixtureError.data as { reason: string }).reason).toBe('idempotency_error');
  });

  test('the order id from a configurable metadata key; without it, a 400 naming that key', () => {
    const options = { ...DEFAULT_PROVIDER_OPTIONS, stripeOrderIdKey: 'oms_order' };
    expect((mapped(mapStripe(stripeEventBody('payment_intent.succeeded', { orderId: 'ORD-9', amount: 100, currency: 'usd', metadataKey: 'oms_order' }), options)).data as { orderId: string }).orderId).toBe('ORD-9');
    const missing = refusal(() => viaGateway('payments', stripeEventBody('payment_intent.succeeded', { orderId: 'ORD-9', amount: 100, currency: 'usd' }), {}, options));
    expect(missing.fields.map((issue) => [issue.field, issue.message.includes('"oms_order"')])).toEqual([['data.object.metadata.oms_order', true]]);
  });

  test("through the binding: a bad amount or currency is refused in Stripe's field names", () => {
    expect(refusal(() => viaGateway('payments', stripeEventBody('payment_intent.succeeded', { orderId: 'ORD-1', amount: 45.5, currency: 'eur' }))).fields[0]!.field).toBe('data.object.amount');
    expect(refusal(() => viaGateway('payments', stripeEventBody('payment_intent.succeeded', { orderId: 'ORD-1', amount: 100, currency: 'xyz' }))).fields[0]!.field).toBe('data.object.currency');
  });

  test('charge.* and other types are ignored; an event without a type is refused', () => {
    expect(mapStripe(stripeEventBody('charge.succeeded', stripeCharge()))).toEqual({ ignored: 'charge.succeeded' });
    expect(mapStripe({ id: 'evt_1', object: 'event', type: 'customer.created', data: { object: { object: 'customer', id: 'cus_1' } } })).toEqual({ ignored: 'customer.created' });
    expect(refusal(() => mapStripe({ id: 'evt_1', data: {} })).fields[0]!.field).toBe('type');
    // Not Stripe's (no `"object": "event"`): an unknown type is a sender's bug, refused.
    expect(refusal(() => mapStripe({ id: 'evt_1', type: 'payment.captured', data: { object: {} } })).fields[0]!.field).toBe('type');
  });

  test('the own payment shape (no `object` discriminator) passes as it is, with its errors under data.object', () => {
    const own = { orderId: 'ORD-1', paymentId: 'PAY-1', amount: 45.48, currency: 'EUR' };
    expect(mapped(mapStripe({ id: 'evt_1', type: 'payment_intent.succeeded', data: { object: own } })).data).toEqual(own);
    expect(refusal(() => viaGateway('payments', { id: 'evt_2', type: 'payment_intent.succeeded', data: { object: { ...own, amount: 45.485 } } })).fields).toEqual([{ field: 'data.object.amount', message: 'has more decimals than EUR allows (2)' }]);
  });

  test("a Stripe-Signature made by Stripe's own SDK verifies", () => {
    const payload = JSON.stringify(stripeEventBody('payment_intent.succeeded', { orderId: 'ORD-1', amount: 100, currency: 'usd' }));
    const header = stripeSignature(payload, 'whsec_test_secret_0123456789');
    expect(verifySignature({ kind: 'timestamped', header: 'stripe-signature' }, ['whsec_test_secret_0123456789'], header, Buffer.from(payload), { nowMs: Date.now(), toleranceMs: 300_000 })).toEqual({ ok: true });
    expect(verifySignature({ kind: 'timestamped', header: 'stripe-signature' }, ['whsec_other_secret_0123456789'], header, Buffer.from(payload), { nowMs: Date.now(), toleranceMs: 300_000 })).toEqual({ ok: false, reason: 'bad-signature' });
  });
});

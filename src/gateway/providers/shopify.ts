import type { EventType } from '../../event/catalog.ts';
import { asRecord, DATA_IS_THE_BODY, fieldRenamer, refuse, type ProviderMapping, type ShopifyOrderIdSource } from '../provider.ts';

/**
 * Shopify's order webhooks: the topic in X-Shopify-Topic, the delivery id in X-Shopify-Webhook-Id (the
 * same on every retry of a delivery), and Shopify's Order object as the body. Topics other than these
 * are answered 200 and ignored: Shopify retries anything else, then drops the subscription.
 */
export const SHOPIFY_TOPICS: Record<string, EventType> = {
  'orders/create': 'order.created',
  'orders/updated': 'order.updated',
  'orders/cancelled': 'order.cancelled',
};

/** Where each field of our order comes from in Shopify's, for a 400 in Shopify's terms. */
const ORDER_FIELDS = fieldRenamer([
  ['data.customer.id', 'customer.id'],
  ['data.customer.email', 'customer.email'],
  ['data.customer.name', 'customer.first_name'],
  ['data.customer', 'customer'],
  ['data.lines.#.sku', 'line_items.#.sku'],
  ['data.lines.#.quantity', 'line_items.#.quantity'],
  ['data.lines.#.unitPrice', 'line_items.#.price'],
  ['data.lines', 'line_items'],
  ['data.currency', 'currency'],
  ['data.shippingAddress.line1', 'shipping_address.address1'],
  ['data.shippingAddress.city', 'shipping_address.city'],
  ['data.shippingAddress.postalCode', 'shipping_address.zip'],
  ['data.shippingAddress.country', 'shipping_address.country_code'],
  ['data.shippingAddress', 'shipping_address'],
  ['data.total', 'total_line_items_price'],
  ['data.reason', 'cancel_reason'],
]);

/**
 * Shopify ids are 64-bit and can pass 2^53, where JSON.parse loses digits; the `gid://shopify/<Type>/<id>`
 * string beside each (admin_graphql_api_id) keeps them all, so it is read first.
 */
function shopifyId(object: Record<string, unknown>, field: string): string {
  const gid = object.admin_graphql_api_id;
  if (typeof gid === 'string') {
    const digits = /^gid:\/\/shopify\/\w+\/(\d+)$/.exec(gid)?.[1];
    if (digits) return digits;
  }
  const id = object.id;
  if (typeof id === 'number' && Number.isSafeInteger(id) && id > 0) return String(id);
  if (typeof id === 'string' && /^\d+$/.test(id)) return id;
  throw refuse(field, typeof id === 'number' ? 'an id above 2^53 needs admin_graphql_api_id beside it' : 'the Shopify id is required');
}

export function shopifyOrderId(order: Record<string, unknown>, source: ShopifyOrderIdSource): { orderId: string; field: string } {
  if ('noteAttribute' in source) {
    const attributes = Array.isArray(order.note_attributes) ? order.note_attributes.map(asRecord) : [];
    const value = attributes.find((attribute) => attribute.name === source.noteAttribute)?.value;
    if (typeof value !== 'string' || value.trim() === '') throw refuse('note_attributes', `the note attribute ${source.noteAttribute} (the order id) is required`);
    return { orderId: value.trim(), field: 'note_attributes' };
  }
  if (source.field === 'id') return { orderId: shopifyId(order, 'id'), field: 'id' };
  const value = order[source.field];
  if ((typeof value !== 'string' || value.trim() === '') && !(typeof value === 'number' && Number.isSafeInteger(value))) throw refuse(source.field, `the order's ${source.field} (the order id) is required`);
  return { orderId: String(value).trim(), field: source.field };
}

/** Shopify sends money as decimal strings ("199.00"); anything else is left as it came, for validation to name. */
const decimal = (value: unknown): unknown => (typeof value === 'string' && /^\d+(\.\d+)?$/.test(value) ? Number(value) : value);

const text = (value: unknown): string | undefined => (typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined);

/** Shopify's Order object as our order data: field by field, nothing of it kept beyond what the catalog names. */
export function shopifyOrderData(order: Record<string, unknown>, orderId: string): Record<string, unknown> {
  const customer = asRecord(order.customer);
  const address = asRecord(order.shipping_address);
  const name = [text(customer.first_name), text(customer.last_name)].filter(Boolean).join(' ');
  const street = [text(address.address1), text(address.address2)].filter(Boolean).join(', ');
  return {
    orderId,
    customer: {
      id: order.customer ? shopifyIdOrBlank(customer) : undefined,
      email: text(customer.email) ?? text(order.email) ?? text(order.contact_email),
      name: name || undefined,
    },
    lines: Array.isArray(order.line_items)
      ? order.line_items.map(asRecord).map((item) => ({ sku: text(item.sku), quantity: item.quantity, unitPrice: decimal(item.price) }))
      : order.line_items,
    currency: order.currency,
    shippingAddress: order.shipping_address ? { line1: street || undefined, city: text(address.city), postalCode: text(address.zip), country: address.country_code } : undefined,
    total: order.total_line_items_price === undefined ? undefined : decimal(order.total_line_items_price),
  };
}

function shopifyIdOrBlank(customer: Record<string, unknown>): string | undefined {
  try {
    return shopifyId(customer, 'customer.id');
  } catch {
    return undefined;
  }
}

/** A cancelled order: its id and Shopify's cancel_reason (customer, fraud, inventory, declined, staff, other). */
export const shopifyCancellation = (order: Record<string, unknown>, orderId: string) => ({ orderId, reason: text(order.cancel_reason) });

/** A body is ours (the order data itself) when it names `orderId`; Shopify's Order object never does. */
export const isOwnOrderShape = (body: Record<string, unknown>) => Object.hasOwn(body, 'orderId');

export const shopifyMapping: ProviderMapping = {
  types: SHOPIFY_TOPICS,
  body: "Shopify's Order object (orders/create, orders/updated, orders/cancelled), or the order data of the event type itself (a body with `orderId`)",
  bodySchema: (data) => ({
    anyOf: [
      data,
      {
        type: 'object',
        description: "Shopify's Order object; only the fields mapped are described",
        required: ['id'],
        properties: {
          id: { type: 'integer' },
          admin_graphql_api_id: { type: 'string' },
          name: { type: 'string' },
          order_number: { type: 'integer' },
          currency: { type: 'string' },
          total_line_items_price: { type: 'string' },
          line_items: { type: 'array', items: { type: 'object', properties: { sku: { type: 'string' }, quantity: { type: 'integer' }, price: { type: 'string' } } } },
          customer: { type: 'object', properties: { id: { type: 'integer' }, email: { type: 'string' }, first_name: { type: 'string' }, last_name: { type: 'string' } } },
          shipping_address: { type: 'object', properties: { address1: { type: 'string' }, address2: { type: ['string', 'null'] }, city: { type: 'string' }, zip: { type: 'string' }, country_code: { type: 'string' } } },
          cancel_reason: { type: ['string', 'null'] },
        },
      },
    ],
  }),
  headers: {
    'x-shopify-topic': `the topic: ${Object.keys(SHOPIFY_TOPICS).join(', ')}; any other is answered 200 and ignored`,
    'x-shopify-webhook-id': 'the delivery id, the same on every retry of a delivery: the event id',
    'x-shopify-triggered-at': 'when the event happened (RFC 3339), optional',
  },
  toEvent: (header, body, options) => {
    const topic = header('x-shopify-topic');
    if (!topic) throw refuse('x-shopify-topic', 'the topic header is required');
    if (!Object.hasOwn(SHOPIFY_TOPICS, topic)) return { ignored: topic };
    const id = header('x-shopify-webhook-id');
    if (!id) throw refuse('x-shopify-webhook-id', 'the delivery id header is required');
    const type = SHOPIFY_TOPICS[topic]!;
    const time = header('x-shopify-triggered-at');
    const order = asRecord(body);
    if (isOwnOrderShape(order)) return { id, type, time, data: body, senderField: DATA_IS_THE_BODY };
    const { orderId, field } = shopifyOrderId(order, options.shopifyOrderId);
    const data = type === 'order.cancelled' ? shopifyCancellation(order, orderId) : shopifyOrderData(order, orderId);
    const senderField = (ours: string) => (ours === 'data.orderId' ? field : ORDER_FIELDS(ours));
    return { id, type, time, data, senderField };
  },
};

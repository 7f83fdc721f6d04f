import type { EventType } from '../event/catalog.ts';
import { EventProcessingError } from '../event/errors.ts';

/**
 * A request that is not a CloudEvent, as its provider sends it, turned into CloudEvent attributes and
 * data. The data is then validated by the event catalog, like any event's.
 */
export interface MappedEvent {
  id: string;
  type: EventType;
  time?: string;
  data: unknown;
  /** A field of ours (`data.lines.0.unitPrice`) as the sender's body names it (`line_items.0.price`), for a 400. */
  senderField: (field: string) => string;
}

/** A provider event of a type this service doesn't handle: answered 200 and written nowhere, as providers retry anything else. */
export interface IgnoredEvent {
  ignored: string;
}

export type ProviderVerdict = MappedEvent | IgnoredEvent;

export const isIgnored = (verdict: ProviderVerdict): verdict is IgnoredEvent => 'ignored' in verdict;

/** How provider payloads name the order, set by configuration. */
export interface ProviderOptions {
  /** The PaymentIntent `metadata` key that holds our order id (GATEWAY_STRIPE_ORDER_ID_KEY). */
  stripeOrderIdKey: string;
  /** Which field of a Shopify order is our order id (GATEWAY_SHOPIFY_ORDER_ID). */
  shopifyOrderId: ShopifyOrderIdSource;
}

export type ShopifyOrderIdSource = { field: 'id' | 'name' | 'order_number' } | { noteAttribute: string };

export const DEFAULT_PROVIDER_OPTIONS: ProviderOptions = { stripeOrderIdKey: 'orderId', shopifyOrderId: { field: 'id' } };

export interface ProviderMapping {
  /** The provider's own event names this service handles, and ours. */
  types: Readonly<Record<string, EventType>>;
  /** The headers it reads, described for /openapi.json. */
  headers: Readonly<Record<string, string>>;
  /** What the body is, for /openapi.json. */
  body: string;
  /** The body's JSON Schema, for /openapi.json: only what the mapping needs of it. */
  bodySchema(dataSchema: Record<string, unknown>): Record<string, unknown>;
  toEvent(header: (name: string) => string | undefined, body: unknown, options: ProviderOptions): ProviderVerdict;
}

export const refuse = (field: string, message: string) => EventProcessingError.permanent('invalid-envelope', `${field}: ${message}`, { fields: [{ field, message }] });

export const asRecord = (value: unknown): Record<string, unknown> => (typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {});

/**
 * Our field paths in the sender's terms: the first rule whose prefix matches (at a path boundary)
 * is replaced. `#` in a rule stands for one array index, kept as it was.
 */
export function fieldRenamer(rules: readonly [ours: string, theirs: string][]): (field: string) => string {
  const compiled = rules.map(([ours, theirs]) => {
    const pattern = new RegExp(`^${ours.replaceAll('.', '\\.').replaceAll('#', '(\\d+)')}(?=\\.|$)`);
    return (field: string) => {
      const match = pattern.exec(field);
      if (!match) return undefined;
      let index = 1;
      return (theirs.replaceAll('#', () => match[index++] ?? '#') + field.slice(match[0].length)).replace(/^\./, '') || '(body)';
    };
  });
  return (field) => {
    for (const rename of compiled) {
      const renamed = rename(field);
      if (renamed !== undefined) return renamed;
    }
    return field;
  };
}

/** Our `data.customer.email` is `customer.email` of a body that is the data itself. */
export const DATA_IS_THE_BODY = fieldRenamer([['data', '']]);

/** Senders that name the event in one header and a delivery id in another, with our data as the body. */
export function headerMapping(options: { typeHeader: string; idHeader: string; timeHeader?: string; types: Record<string, EventType>; body: string }): ProviderMapping {
  return {
    types: options.types,
    body: options.body,
    bodySchema: (data) => data,
    headers: {
      [options.typeHeader]: `the event: ${Object.keys(options.types).join(', ')}; any other is answered 200 and ignored`,
      [options.idHeader]: 'the delivery id, the same on every retry of a delivery: the event id',
      ...(options.timeHeader ? { [options.timeHeader]: 'when the event happened (RFC 3339), optional' } : {}),
    },
    toEvent: (header, body) => {
      const name = header(options.typeHeader);
      if (!name) throw refuse(options.typeHeader, 'the event type header is required');
      if (!Object.hasOwn(options.types, name)) return { ignored: name };
      const id = header(options.idHeader);
      if (!id) throw refuse(options.idHeader, 'the delivery id header is required');
      return { id, type: options.types[name]!, time: options.timeHeader ? header(options.timeHeader) : undefined, data: body, senderField: DATA_IS_THE_BODY };
    },
  };
}

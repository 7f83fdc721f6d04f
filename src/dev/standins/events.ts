import { randomUUID } from 'node:crypto';
import type { EventType, OrderData } from '../../event/catalog.ts';
import { seededCustomer, seededOrder, type SeedOrder } from './seed.ts';

/**
 * Builders for realistic inbound webhook events (CloudEvents 1.0, structured mode), as the commerce
 * app and the payment provider would publish them. Used by the demo producer and the tests.
 */
export interface CloudEvent<T = unknown> {
  specversion: '1.0';
  id: string;
  source: string;
  type: EventType;
  time: string;
  subject: string;
  datacontenttype: 'application/json';
  data: T;
}

export interface KafkaRecord {
  key: string;
  value: string;
  headers?: Record<string, string>;
}

const SOURCES: Record<string, string> = { order: '/commerce/orders', payment: '/payments/provider', support: '/support/tools' };

export function cloudEvent<T>(type: EventType, orderId: string, data: T, id: string = randomUUID()): CloudEvent<T> {
  const family = type.startsWith('payment.') ? 'payment' : type === 'order.reprocess' || type === 'order.review' ? 'support' : 'order';
  return { specversion: '1.0', id, source: SOURCES[family]!, type, time: new Date().toISOString(), subject: orderId, datacontenttype: 'application/json', data };
}

/** A structured-mode Kafka record: key = order id, value = the whole event. */
export function toRecord(event: CloudEvent): KafkaRecord {
  return { key: event.subject, value: JSON.stringify(event), headers: { 'content-type': 'application/cloudevents+json' } };
}

/** The webhook payload for an order as the storefront holds it (seeded, or a given version of it). */
export function orderPayload(order: SeedOrder = seededOrder('ORD-example')!): OrderData {
  const customer = seededCustomer(order.customerId)!;
  return {
    orderId: order.orderId,
    customer: { id: customer.id, email: customer.email, name: customer.name },
    lines: order.lines,
    currency: order.currency,
    shippingAddress: order.shippingAddress,
    total: order.total,
  };
}

export function orderEvent(type: 'order.created' | 'order.updated', orderId: string, order?: SeedOrder, id?: string): CloudEvent<OrderData> {
  const version = order ?? seededOrder(orderId);
  if (!version) throw new Error(`${orderId} is not a seeded order id (ORD-...)`);
  return cloudEvent(type, orderId, orderPayload(version), id);
}

export function paymentEventFor(
  type: 'payment.authorized' | 'payment.captured' | 'payment.failed' | 'payment.pending',
  orderId: string,
  paymentId: string,
  amount = seededOrder(orderId)?.total ?? 0,
  id?: string,
) {
  return cloudEvent(type, orderId, { orderId, paymentId, amount, currency: 'EUR' }, id);
}

import type { Config } from '../../config/config.ts';
import { cloudEvent, orderEvent, paymentEventFor, toRecord, type KafkaRecord } from '../standins/events.ts';

/** What the demo sends, apart from how: the schema agreement test reads the same stream. */
export type Kind = 'payment-first' | 'duplicates' | 'invalid-then-corrected' | 'pending-payment' | 'high-risk' | 'payment-retry' | 'normal';
export const KINDS: Kind[] = ['normal', 'payment-first', 'duplicates', 'invalid-then-corrected', 'pending-payment', 'high-risk', 'payment-retry', 'normal'];
export const POISON_HEADER = 'x-demo-poison';

/** The order and payment events of one demo order of a kind. */
export function demoEvents(orderId: string, kind: Kind): { orders: KafkaRecord[]; payments: KafkaRecord[] } {
  const order = toRecord(orderEvent('order.created', orderId));
  if (kind === 'payment-retry') {
    // The first card is declined; the customer pays again with another one.
    return { orders: [order], payments: [toRecord(paymentEventFor('payment.failed', orderId, `PAY-${orderId}`)), toRecord(paymentEventFor('payment.authorized', orderId, `PAY-${orderId}-2`))] };
  }
  const payment = toRecord(paymentEventFor(kind === 'pending-payment' ? 'payment.pending' : 'payment.authorized', orderId, `PAY-${orderId}`));
  return kind === 'duplicates' ? { orders: [order, order], payments: [payment, payment] } : { orders: [order], payments: [payment] };
}

export const reviewCommand = (orderId: string) => toRecord(cloudEvent('order.review', orderId, { orderId, decision: 'approve', reviewer: 'demo' }));
export const reprocessCommand = (orderId: string) => toRecord(cloudEvent('order.reprocess', orderId, { orderId, reason: 'quantity fixed by support', requestedBy: 'demo' }));

/**
 * A few poison events, each marked so the demo can find it on its DLQ (or refused by the gateway).
 * Over HTTP there is no key to leave out (the gateway keys each event by its order id), so that one is left out.
 */
export function demoPoison(runId: string, topics: Pick<Config['topics'], 'orderEvents' | 'paymentEvents'>, options: { overHttp: boolean }): { topic: string; record: KafkaRecord }[] {
  return [
    { topic: topics.orderEvents, record: { key: `ORD-demo-${runId}-p0`, value: '{"specversion":"1.0","id":' } },
    { topic: topics.orderEvents, record: toRecord({ ...orderEvent('order.created', `ORD-demo-${runId}-p1`), type: 'order.teleported' as never }) },
    { topic: topics.paymentEvents, record: { ...toRecord(paymentEventFor('payment.authorized', `ORD-demo-${runId}-p2`, 'PAY-x')), key: '' } },
    { topic: topics.paymentEvents, record: toRecord(cloudEvent('payment.captured', `ORD-demo-${runId}-p3`, { orderId: `ORD-demo-${runId}-p3`, amount: 'lots' })) },
  ]
    .filter((entry) => !options.overHttp || entry.record.key !== '')
    .map((entry, k) => ({ ...entry, record: { ...entry.record, headers: { ...entry.record.headers, [POISON_HEADER]: `${runId}-${k}` } } }));
}

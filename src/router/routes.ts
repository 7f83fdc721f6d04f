import type { SignalDefinition } from '@temporalio/workflow';
import type { Config } from '../config/config.ts';
import type { EventType } from '../event/catalog.ts';
import type { InboundEvent } from '../event/envelope.ts';
import {
  ORDER_WORKFLOW,
  PAYMENT_WORKFLOW,
  orderCancelled,
  orderReceived,
  orderReviewed,
  orderWorkflowId,
  paymentEvent,
  paymentWorkflowId,
  reprocessRequested,
  type OrderWorkflowSettings,
} from '../contract/workflows.ts';

/** What the router hands to the signal step: one signal-with-start call, fully described. */
export interface SignalWithStartCommand {
  workflowType: string;
  workflowId: string;
  taskQueue: string;
  workflowArgs: unknown[];
  signalName: string;
  signalArgs: unknown[];
  /**
   * false: a closed workflow is not run again; the event is late (recorded and committed).
   * true:  a closed workflow gets a new run (explicit reprocessing: order.reprocess, `oms replay`).
   */
  reprocess: boolean;
  orderId: string;
  eventId: string;
  eventType: EventType;
}

export interface RouterSettings {
  taskQueue: string;
  order: OrderWorkflowSettings;
  paymentPollTimeoutMs: number;
}

/** What the router and the payment activity need to start workflows: derived from config in one place. */
export function routerSettings(config: Config): RouterSettings {
  return {
    taskQueue: config.taskQueues.orders,
    order: { ...config.orderTimeouts, taskQueues: config.taskQueues.activities },
    paymentPollTimeoutMs: config.paymentPollTimeoutMs,
  };
}

type Target = 'order' | 'payment';

interface Route<T extends EventType> {
  target: Target;
  signalName: string;
  signalArg: (event: InboundEvent<T>) => unknown;
  /** This event type asks for reprocessing by itself, whatever mode it arrives in. */
  reprocess: boolean;
}

/** One row: the signal definition types the argument the row builds from the event. */
function row<T extends EventType, A>(
  target: Target,
  signal: SignalDefinition<[A]>,
  signalArg: (event: InboundEvent<T>) => A,
  options: { reprocess?: boolean } = {},
): Route<T> {
  return { target, signalName: signal.name, signalArg, reprocess: options.reprocess ?? false };
}

const eventSignal = <T extends EventType>(event: InboundEvent<T>) => ({ eventId: event.id, type: event.type, time: event.time });
const orderReceivedRow = row('order', orderReceived, (event: InboundEvent<'order.created' | 'order.updated'>) => eventSignal(event));
const paymentRow = row('payment', paymentEvent, (event: InboundEvent<'payment.authorized' | 'payment.captured' | 'payment.failed' | 'payment.pending'>) => ({
  ...eventSignal(event),
  paymentId: event.data.paymentId,
  amount: event.data.amount,
  currency: event.data.currency,
}));

/** The routing table. Adding an event type is adding one row here (and its data schema in the catalog). */
const ROUTES: { [T in EventType]: Route<T> } = {
  'order.created': orderReceivedRow,
  'order.updated': orderReceivedRow,
  'order.cancelled': row('order', orderCancelled, (event: InboundEvent<'order.cancelled'>) => ({
    ...eventSignal(event),
    reason: event.data.reason ?? 'cancelled upstream',
  })),
  'payment.authorized': paymentRow,
  'payment.captured': paymentRow,
  'payment.failed': paymentRow,
  'payment.pending': paymentRow,
  'order.reprocess': row('order', reprocessRequested, (event: InboundEvent<'order.reprocess'>) => ({ ...eventSignal(event), reason: event.data.reason }), {
    reprocess: true,
  }),
  // A decision for a closed order (cancelled meanwhile, or v1 with no review) is late, like any other event.
  'order.review': row('order', orderReviewed, (event: InboundEvent<'order.review'>) => ({
    ...eventSignal(event),
    decision: event.data.decision,
    ...(event.data.reviewer ? { reviewer: event.data.reviewer } : {}),
    ...(event.data.note ? { note: event.data.note } : {}),
  })),
};

export type RouteMode = 'live' | 'reprocess';

export function routeEvent(event: InboundEvent, settings: RouterSettings, mode: RouteMode = 'live'): SignalWithStartCommand {
  const route = ROUTES[event.type] as Route<EventType>;
  const orderId = event.subject;
  const reprocess = mode === 'reprocess' || route.reprocess;
  const start =
    route.target === 'order'
      ? { workflowType: ORDER_WORKFLOW, workflowId: orderWorkflowId(orderId), workflowArgs: [{ orderId, settings: settings.order }] }
      : { workflowType: PAYMENT_WORKFLOW, workflowId: paymentWorkflowId(orderId), workflowArgs: [{ orderId, pollTimeoutMs: settings.paymentPollTimeoutMs, retryWindowMs: settings.order.paymentRetryWindowMs, taskQueues: settings.order.taskQueues }] };
  return {
    ...start,
    taskQueue: settings.taskQueue,
    signalName: route.signalName,
    signalArgs: [route.signalArg(event)],
    reprocess,
    orderId,
    eventId: event.id,
    eventType: event.type,
  };
}

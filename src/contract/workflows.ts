import { defineSearchAttributeKey } from '@temporalio/common';
import { defineQuery, defineSignal } from '@temporalio/workflow';

/**
 * Signals, queries and inputs of the workflows: shared by the workflow code, the router that
 * signals them from Kafka events, and the activity that signals the order from the payment
 * workflow. Kept free of anything non-deterministic, since workflow code imports it.
 */

/** Every signal carries the id of the event behind it; a workflow applies each id once. */
export interface EventSignal {
  eventId: string;
  type: string;
  /** Event time as the producer stated it (CloudEvents `time`), if any. */
  time?: string;
}

export interface OrderReceivedSignal extends EventSignal {
  /** Corrections (order.updated) raise it; the workflow re-validates when it grows. */
  type: 'order.created' | 'order.updated';
}

export interface OrderCancelledSignal extends EventSignal {
  reason: string;
}

export interface ReprocessSignal extends EventSignal {
  reason: string;
}

export interface PaymentValidatedSignal extends EventSignal {
  paymentId: string;
  /** The provider's reference, carried into the fulfillment message. */
  reference: string;
  amount: number;
}

export interface PaymentFailedSignal extends EventSignal {
  paymentId: string;
  reason: string;
}

/** A support agent's decision on an order held for review (`order.review`). */
export interface OrderReviewSignal extends EventSignal {
  decision: 'approve' | 'reject';
  reviewer?: string;
  note?: string;
}

export interface PaymentEventSignal extends EventSignal {
  type: 'payment.authorized' | 'payment.captured' | 'payment.failed' | 'payment.pending';
  paymentId: string;
  amount: number;
  currency: string;
}

export const orderReceived = defineSignal<[OrderReceivedSignal]>('orderReceived');
export const orderCancelled = defineSignal<[OrderCancelledSignal]>('orderCancelled');
export const reprocessRequested = defineSignal<[ReprocessSignal]>('reprocessRequested');
export const paymentValidated = defineSignal<[PaymentValidatedSignal]>('paymentValidated');
export const paymentFailed = defineSignal<[PaymentFailedSignal]>('paymentFailed');
export const paymentEvent = defineSignal<[PaymentEventSignal]>('paymentEvent');
export const orderReviewed = defineSignal<[OrderReviewSignal]>('orderReviewed');

/**
 * Workflow changes shipped with `patched()`: a run either took a change from its start or never does
 * (docs/workflows.md, "Changing a workflow"). The ids are recorded in histories: never rename one.
 */
export const PATCHES = {
  /** v2: orders are scored by the risk service after payment; high risk waits for a support review. */
  riskCheck: 'risk-check',
  /** v2: a failed payment waits for the customer to pay again, within a window, instead of ending the order. */
  paymentRetry: 'payment-retry',
  /**
   * v3: fewer round trips through Temporal: the order is validated and enriched in one activity, its
   * fulfilment and COMPLETED status are published together, and a payment is confirmed and reported
   * in one. A run that takes it takes v2's changes too, without their markers.
   */
  fewerSteps: 'fewer-steps',
  /**
   * v4: the activity groups that the workflow's own worker also hosts run as local activities, with
   * no round trip through the server; a group hosted elsewhere keeps its task queue. Includes v3.
   */
  localSteps: 'local-steps',
  /**
   * v5: while an order waits in a long stage (WAITING_STAGES) its OmsOrderStage search attribute names
   * the stage, so visibility counts the waiting orders across every worker. Includes v4.
   */
  stageAttribute: 'stage-attribute',
} as const;

/** The activity groups, by the system each calls; each has a task queue of its own. */
export const ACTIVITY_GROUPS = ['storefront', 'payment', 'fulfillment', 'notification', 'risk'] as const;
export type ActivityGroup = (typeof ACTIVITY_GROUPS)[number];

/**
 * The local activity every workflow worker registers: which groups it runs as local activities.
 * A run asks once (v4) and the answer is in its history, so its replay doesn't depend on the replaying worker.
 */
export const LOCAL_GROUPS_ACTIVITY = 'localActivityGroups';
/**
 * The failure type of a local call to an activity the workflow's worker doesn't run (it answers any
 * such call with it). The failure is in the history, so the fallback to the task queue replays.
 */
export const NOT_HOSTED = 'ActivityNotHosted';

export type OrderStage =
  | 'awaiting-order'
  | 'validating'
  | 'awaiting-correction'
  | 'enriching'
  | 'awaiting-payment'
  | 'awaiting-payment-retry'
  | 'assessing-risk'
  | 'awaiting-review'
  | 'allocating'
  | 'publishing'
  | 'notifying'
  | 'compensating'
  | 'completed'
  | 'cancelled'
  | 'failed';

/** The long waits, where an order sits for minutes to days on a customer, a provider or support. */
export const WAITING_STAGES = ['awaiting-payment', 'awaiting-payment-retry', 'awaiting-review'] as const satisfies readonly OrderStage[];
export type WaitingStage = (typeof WAITING_STAGES)[number];
export const isWaitingStage = (stage: OrderStage): stage is WaitingStage => (WAITING_STAGES as readonly OrderStage[]).includes(stage);

/**
 * Set (v5) only while the order waits in one of WAITING_STAGES, unset otherwise. Registered on the
 * namespace before a worker starts: `oms dev up` does it, and a worker checks it at start.
 */
export const ORDER_STAGE_ATTRIBUTE = defineSearchAttributeKey('OmsOrderStage', 'KEYWORD');

export interface StepRecord {
  step: string;
  at: string;
  outcome: 'ok' | 'failed' | 'skipped' | 'info';
  detail?: string;
}

export interface AppliedEvent {
  eventId: string;
  type: string;
  /** The event's CloudEvents `time`, when the producer stated one. */
  time?: string;
}

/** The risk check's outcome: the score and who decided (nobody for a low score). */
export interface RiskDecision {
  score: number;
  level: 'low' | 'high';
  decision: 'passed' | 'approved' | 'rejected' | 'review-timed-out';
  reasons: string[];
  reviewer?: string;
}

/** A record an order's run published, and where it was written: its status changes and its fulfilment message. */
export interface PublishedRecord {
  kind: 'status' | 'fulfillment';
  /** For kind status: the status published (INVALID, IN_REVIEW, COMPLETED, CANCELLED, FAILED). */
  status?: string;
  fulfillmentId?: string;
  topic: string;
  partition: number;
  offset: string;
  /** When it was published (ISO 8601). */
  time: string;
}

export interface OrderStatus {
  orderId: string;
  stage: OrderStage;
  /** Ids and decisions only: documents stay in the storefront, the source of truth. */
  orderReceived: boolean;
  orderVersion: number;
  payment: { status: 'none' | 'validated' | 'failed'; paymentId?: string; reference?: string };
  /** Payments that failed before the one that counts (v2: the customer may pay again). */
  failedPayments?: { paymentId: string; reason: string }[];
  risk?: RiskDecision;
  fulfillmentId?: string;
  reservationId?: string;
  /** Every event this run applied, in the order it applied them; duplicates are not listed again. */
  appliedEvents: AppliedEvent[];
  /** What it published, in order (runs before the activities reported it have none). */
  published?: PublishedRecord[];
  history: StepRecord[];
}

export const orderStatusQuery = defineQuery<OrderStatus>('status');

/** Activities are grouped by the system they call; each group can run on its own task queue. */
export interface ActivityTaskQueues {
  storefront: string;
  payment: string;
  fulfillment: string;
  notification: string;
  /** Absent from the inputs of runs started before the risk check (v1). */
  risk?: string;
}

export interface OrderWorkflowSettings {
  /** How long a workflow started by a payment waits for its order before it is cancelled. */
  orderTimeoutMs: number;
  /** How long an invalid order waits for a correction or a reprocess before it is cancelled. */
  correctionTimeoutMs: number;
  /** How long a valid order waits for a validated payment before it is cancelled. */
  paymentTimeoutMs: number;
  /** How long a high-risk order waits for a support decision. Absent from inputs older than the change (see CHANGE_DEFAULTS). */
  reviewTimeoutMs?: number;
  /** How long a failed payment may be followed by a successful one. Absent from inputs older than the change. */
  paymentRetryWindowMs?: number;
  taskQueues: ActivityTaskQueues;
}

/**
 * For runs that take a change but were started with an input from before it (an ingest not yet
 * upgraded during a rolling deploy): the config's defaults, repeated here because workflow code
 * can't import config; a logic test keeps the two equal.
 */
export const CHANGE_DEFAULTS = { reviewTimeoutMs: 24 * 3_600_000, paymentRetryWindowMs: 60 * 60_000, riskTaskQueue: 'oms-risk' } as const;

/** What a new run of a closed order keeps from the run before it. */
export interface ReprocessOf {
  runId: string;
  /** The earlier run's fulfillment, which the new FulfillmentOrder says it replaces. */
  fulfillmentId?: string;
  /** The earlier run's payment decision: a re-send doesn't ask the customer to pay again. */
  payment?: { paymentId: string; reference: string };
}

export interface OrderWorkflowInput {
  orderId: string;
  settings: OrderWorkflowSettings;
  /** Set when an operator's replay or a support request runs a closed order again. */
  reprocessOf?: ReprocessOf;
}

/** What the provider's API says of a payment (its source of truth, not the webhook). */
export interface SettledPayment {
  status: 'pending' | 'authorized' | 'captured' | 'failed';
  amount: number;
  reference?: string;
  reason?: string;
}

export type PaymentReport =
  | { orderId: string; outcome: 'validated'; eventId: string; paymentId: string; reference: string; amount: number }
  | { orderId: string; outcome: 'failed'; eventId: string; paymentId: string; reason: string };

/** The report of a settled payment to its order; its event id derives from the webhook's, so a retried report is applied once. */
export function paymentReport(orderId: string, event: { eventId: string; paymentId: string }, settled: SettledPayment): PaymentReport {
  return settled.status === 'authorized' || settled.status === 'captured'
    ? { orderId, outcome: 'validated', eventId: `${event.eventId}:validated`, paymentId: event.paymentId, reference: settled.reference ?? event.paymentId, amount: settled.amount }
    : { orderId, outcome: 'failed', eventId: `${event.eventId}:failed`, paymentId: event.paymentId, reason: settled.reason ?? 'payment failed' };
}

export interface PaymentWorkflowInput {
  orderId: string;
  /** How long to keep polling the provider while a payment stays pending. */
  pollTimeoutMs: number;
  /** v2: after a failed payment, how long to keep listening for the customer's next one. */
  retryWindowMs?: number;
  taskQueues: ActivityTaskQueues;
}

export interface PaymentStatusView {
  orderId: string;
  paymentId?: string;
  status: 'waiting' | 'pending' | 'validated' | 'failed';
  /** v2: payments that failed before the current one. */
  failed?: string[];
  checks: number;
  appliedEvents: AppliedEvent[];
}

export const paymentStatusQuery = defineQuery<PaymentStatusView>('status');

/** The memo field holding the trace id of the event that started the run: the order's trace, for `oms order`. */
export const TRACE_MEMO = 'traceId';

export const ORDER_WORKFLOW = 'OrderProcessingWorkflow';
export const PAYMENT_WORKFLOW = 'PaymentValidationWorkflow';

/** Workflow ids are derived from the order id alone, so every event of an order finds the same workflow. */
export const orderWorkflowId = (orderId: string) => `order-${orderId}`;
export const paymentWorkflowId = (orderId: string) => `payment-${orderId}`;

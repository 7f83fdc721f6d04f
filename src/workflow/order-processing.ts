import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  log,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { FulfillmentActivities } from '../activity/fulfillment/activities.ts';
import type { NotificationActivities } from '../activity/notification/activities.ts';
import type { PaymentActivities } from '../activity/payment/activities.ts';
import type { RiskActivities } from '../activity/risk/activities.ts';
import type { StorefrontActivities } from '../activity/storefront/activities.ts';
import {
  CHANGE_DEFAULTS,
  orderCancelled,
  orderReceived,
  orderReviewed,
  orderStatusQuery,
  paymentFailed,
  paymentValidated,
  PATCHES,
  reprocessRequested,
  type EventSignal,
  type OrderCancelledSignal,
  type OrderReviewSignal,
  type PaymentFailedSignal,
  type PaymentValidatedSignal,
  type OrderStage,
  type OrderStatus,
  type OrderWorkflowInput,
  type StepRecord,
} from '../contract/workflows.ts';

/** Storefront and publishing calls retry until they succeed unless the activity says the failure is permanent. */
const retry = { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' };

/** An order that ends without fulfilment for a business reason: cancelled, not failed. */
class OrderAbandoned extends Error {}

/** An activity's failure says only "Activity task failed"; what went wrong is its cause. */
const reasonOf = (error: unknown): string => {
  if (error instanceof ActivityFailure && error.cause) return error.cause.message;
  return error instanceof Error ? error.message : String(error);
};

export async function OrderProcessingWorkflow(input: OrderWorkflowInput): Promise<OrderStatus> {
  const { orderId, settings } = input;
  const queues = settings.taskQueues;
  const storefront = proxyActivities<StorefrontActivities>({ taskQueue: queues.storefront, startToCloseTimeout: '30 seconds', retry });
  const payment = proxyActivities<PaymentActivities>({ taskQueue: queues.payment, startToCloseTimeout: '30 seconds', retry });
  const fulfillment = proxyActivities<FulfillmentActivities>({ taskQueue: queues.fulfillment, startToCloseTimeout: '30 seconds', retry });
  const notification = proxyActivities<NotificationActivities>({ taskQueue: queues.notification, startToCloseTimeout: '30 seconds', retry });
  const risk = proxyActivities<RiskActivities>({ taskQueue: queues.risk ?? CHANGE_DEFAULTS.riskTaskQueue, startToCloseTimeout: '30 seconds', retry });

  /*
   * Versions. Each change is decided once, here at the start of a run, so a run follows one version
   * to its end: a run that began before a change replays without its marker (patched() is false, the
   * v1 path), a run that begins after records the marker. Runs of both kinds are in the saved
   * histories that test/logic/replay.test.ts replays.
   * Deprecating a patch (deprecatePatch(), then removing it and the v1 path) is safe once no run
   * without it is open; this visibility query lists them, and must come back empty, across the
   * longest an order can stay open (the arrival, correction, payment and review windows):
   *   temporal workflow list --query "WorkflowType = 'OrderProcessingWorkflow' AND ExecutionStatus = 'Running' AND TemporalChangeVersion IS NULL"
   * (the SDK sets TemporalChangeVersion to the patch ids a run took).
   */
  const riskCheck = patched(PATCHES.riskCheck);
  const paymentRetry = patched(PATCHES.paymentRetry);

  const status: OrderStatus = {
    orderId,
    stage: 'awaiting-order',
    orderReceived: false,
    orderVersion: 0,
    payment: { status: 'none' },
    appliedEvents: [],
    history: [],
  };
  // A fulfillment id per run: stable across activity retries, new when the order is reprocessed.
  const fulfillmentId = `ful-${workflowInfo().runId}`;
  let cancellation: string | undefined;
  let reprocessRequests = 0;
  let review: OrderReviewSignal | undefined;

  const record = (step: string, outcome: StepRecord['outcome'], detail?: string) => {
    status.history.push({ step, at: new Date().toISOString(), outcome, ...(detail ? { detail } : {}) });
  };
  const enter = (stage: OrderStage) => {
    status.stage = stage;
  };
  const seen = new Set<string>();
  /** Each event id is applied once: the other half of the idempotency scheme in signal-with-start.ts. */
  const once = <S extends EventSignal>(apply: (signal: S) => void) => (signal: S) => {
    if (seen.has(signal.eventId)) return;
    seen.add(signal.eventId);
    status.appliedEvents.push({ eventId: signal.eventId, type: signal.type });
    apply(signal);
  };

  setHandler(
    orderReceived,
    once(() => {
      status.orderReceived = true;
      status.orderVersion += 1;
    }),
  );
  setHandler(
    orderCancelled,
    once<OrderCancelledSignal>((signal) => {
      cancellation ??= signal.reason;
    }),
  );
  setHandler(
    reprocessRequested,
    once(() => {
      // The storefront holds the order: a reprocess request is enough to (re)validate it.
      status.orderReceived = true;
      reprocessRequests += 1;
    }),
  );
  setHandler(
    paymentValidated,
    once<PaymentValidatedSignal>((signal) => {
      // v2: a payment that follows a failed one (the customer paid again) is the one that counts.
      const open = status.payment.status === 'none' || (paymentRetry && status.payment.status === 'failed');
      if (open) status.payment = { status: 'validated', paymentId: signal.paymentId, reference: signal.reference };
    }),
  );
  setHandler(
    paymentFailed,
    once<PaymentFailedSignal>((signal) => {
      if (status.payment.status === 'none') status.payment = { status: 'failed', paymentId: signal.paymentId };
      if (paymentRetry && status.payment.status !== 'validated') (status.failedPayments ??= []).push({ paymentId: signal.paymentId, reason: signal.reason });
      record('payment', 'failed', signal.reason);
    }),
  );
  setHandler(
    orderReviewed,
    once<OrderReviewSignal>((signal) => {
      review ??= signal;
    }),
  );
  setHandler(orderStatusQuery, () => status);

  const throwIfCancelled = () => {
    if (cancellation !== undefined) throw new OrderAbandoned(`cancelled: ${cancellation}`);
  };
  /** Waits for `ready`, or a cancellation, or the timeout; says whether `ready` came true. */
  const waitFor = async (ready: () => boolean, timeoutMs: number, onTimeout: string) => {
    const arrived = await condition(() => ready() || cancellation !== undefined, timeoutMs);
    throwIfCancelled();
    if (!arrived) throw new OrderAbandoned(onTimeout);
  };

  /**
   * Runs a step that a cancellation may interrupt: an activity retrying against a failing system
   * must not keep a cancelled order waiting. Steps that must not be cut short (publishing) call
   * their activity directly.
   */
  const interruptible = async <T>(step: () => Promise<T>): Promise<T> => {
    const scope = new CancellationScope();
    void condition(() => cancellation !== undefined).then(() => scope.cancel());
    try {
      return await scope.run(step);
    } catch (error) {
      if (isCancellation(error) && cancellation !== undefined) throw new OrderAbandoned(`cancelled: ${cancellation}`);
      throw error;
    }
  };

  /** v2: scored after payment, so a rejected order has its payment voided; high risk waits for support. */
  const checkRisk = async (customerId: string) => {
    throwIfCancelled();
    enter('assessing-risk');
    const verdict = await interruptible(() => risk.assessOrderRisk({ orderId, customerId }));
    status.risk = { ...verdict, decision: 'passed' };
    if (verdict.level === 'low') {
      record('risk', 'ok', `score ${verdict.score}`);
      return;
    }
    record('risk', 'info', `score ${verdict.score}: held for review`);
    enter('awaiting-review');
    await fulfillment.publishOrderStatus({ orderId, status: 'IN_REVIEW', reasons: verdict.reasons, risk: status.risk });
    const decided = await condition(() => review !== undefined || cancellation !== undefined, settings.reviewTimeoutMs ?? CHANGE_DEFAULTS.reviewTimeoutMs);
    throwIfCancelled();
    if (!decided || !review) {
      status.risk = { ...status.risk, decision: 'review-timed-out' };
      throw new OrderAbandoned('risk review not decided in time');
    }
    const by = review.reviewer ? ` by ${review.reviewer}` : '';
    status.risk = { ...status.risk, decision: review.decision === 'approve' ? 'approved' : 'rejected', ...(review.reviewer ? { reviewer: review.reviewer } : {}) };
    if (review.decision === 'reject') throw new OrderAbandoned(`rejected in risk review${by}${review.note ? `: ${review.note}` : ''}`);
    record('review', 'ok', `approved${by}`);
  };

  const compensations: { step: string; undo: () => Promise<void> }[] = [];
  const previous = input.reprocessOf;
  if (previous) {
    record('reprocess', 'info', `reprocessing run ${previous.runId}${previous.fulfillmentId ? ` (fulfillment ${previous.fulfillmentId})` : ''}`);
    if (previous.payment) {
      status.payment = { status: 'validated', ...previous.payment };
      record('payment', 'info', `carried over from run ${previous.runId}`);
    }
  }
  try {
    await waitFor(() => status.orderReceived, settings.orderTimeoutMs, 'the order never arrived');

    for (;;) {
      enter('validating');
      const versionValidated = status.orderVersion;
      const reprocessSeen = reprocessRequests;
      const validation = await interruptible(() => storefront.validateOrder(orderId));
      if (validation.valid) {
        record('validate', 'ok');
        break;
      }
      record('validate', 'failed', validation.reasons.join('; '));
      await fulfillment.publishOrderStatus({ orderId, status: 'INVALID', reasons: validation.reasons });
      enter('awaiting-correction');
      await waitFor(
        () => status.orderVersion > versionValidated || reprocessRequests > reprocessSeen,
        settings.correctionTimeoutMs,
        `invalid order not corrected in time: ${validation.reasons.join('; ')}`,
      );
    }

    throwIfCancelled();
    enter('enriching');
    const enriched = await interruptible(() => storefront.enrichOrder(orderId));
    record('enrich', 'ok', `customer ${enriched.customerId}, ${enriched.skus.length} products`);

    enter('awaiting-payment');
    await waitFor(() => status.payment.status !== 'none', settings.paymentTimeoutMs, 'payment not validated in time');
    if (status.payment.status === 'failed') {
      if (!paymentRetry) throw new OrderAbandoned('payment failed');
      enter('awaiting-payment-retry');
      const windowMs = settings.paymentRetryWindowMs ?? CHANGE_DEFAULTS.paymentRetryWindowMs;
      await waitFor(() => status.payment.status === 'validated', windowMs, 'payment failed and was not made again in time');
    }
    const { paymentId, reference } = status.payment;
    if (!paymentId || !reference) throw ApplicationFailure.nonRetryable('validated payment without id or reference');
    record('payment', 'ok', `payment ${paymentId}`);
    // A payment carried over from an earlier run belongs to that run's fulfilment: never void it here.
    if (!previous?.payment) compensations.push({ step: 'void payment', undo: () => payment.voidPayment({ orderId, paymentId }) });

    if (riskCheck) await checkRisk(enriched.customerId);

    throwIfCancelled();
    enter('allocating');
    // The release is registered before the reservation is asked for: if the call is cut short after
    // the storefront made it, the compensation still finds it (both are keyed by the fulfillment id).
    compensations.push({ step: 'release inventory', undo: () => storefront.releaseInventory({ orderId, reservationId: fulfillmentId }) });
    const { reservationId } = await interruptible(() => storefront.reserveInventory({ orderId, fulfillmentId }));
    status.reservationId = reservationId;
    record('allocate', 'ok', `reservation ${reservationId}`);

    throwIfCancelled();
    enter('publishing');
    await fulfillment.publishFulfillment({ orderId, fulfillmentId, paymentReference: reference, reprocessOf: previous?.fulfillmentId });
    status.fulfillmentId = fulfillmentId;
    record('publish', 'ok', fulfillmentId);
    // From here the fulfillment system owns the order; a later cancellation is recorded, not compensated.

    enter('notifying');
    await notification.notifyCustomer({ orderId, fulfillmentId, template: 'order-confirmed' });
    record('notify', 'ok');
    await fulfillment.publishOrderStatus({ orderId, status: 'COMPLETED', reasons: [], ...(status.risk ? { risk: status.risk } : {}) });
    if (cancellation !== undefined) record('cancel', 'skipped', `arrived after fulfilment: ${cancellation}`);
    enter('completed');
    return status;
  } catch (error) {
    const abandoned = error instanceof OrderAbandoned || isCancellation(error);
    const reason = reasonOf(error);
    log.warn('order did not complete; compensating', { orderId, reason });
    await CancellationScope.nonCancellable(async () => {
      enter('compensating');
      for (const { step, undo } of compensations.reverse()) {
        try {
          await undo();
          record(step, 'ok');
        } catch (undoError) {
          record(step, 'failed', reasonOf(undoError));
        }
      }
      await fulfillment.publishOrderStatus({ orderId, status: abandoned ? 'CANCELLED' : 'FAILED', reasons: [reason], ...(status.risk ? { risk: status.risk } : {}) });
    });
    record(abandoned ? 'cancel' : 'fail', 'info', reason);
    enter(abandoned ? 'cancelled' : 'failed');
    if (abandoned) return status;
    throw error;
  }
}

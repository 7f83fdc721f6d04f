import { ApplicationFailure, CancellationScope, isCancellation, log, patched, setHandler } from '@temporalio/workflow';
import {
  orderCancelled,
  orderReceived,
  orderReviewed,
  orderStatusQuery,
  paymentFailed,
  paymentValidated,
  PATCHES,
  reprocessRequested,
  CHANGE_DEFAULTS,
  type OrderCancelledSignal,
  type OrderReviewSignal,
  type OrderStatus,
  type OrderWorkflowInput,
  type PaymentFailedSignal,
  type PaymentValidatedSignal,
} from '../contract/workflows.ts';
import type { OrderCheck } from '../activity/storefront/activities.ts';
import { closeAfterLocalSteps, localGroups, orderActivities } from './order-activities.ts';
import { OrderAbandoned, OrderRun, reasonOf } from './order-run.ts';
import { checkRisk } from './risk-review.ts';

/**
 * An order from its first event to its fulfilment: validate (and wait for corrections), enrich, wait
 * for payment, check risk (v2), reserve stock, publish the fulfilment, notify. A cancellation or a
 * failure undoes what was done and publishes CANCELLED or FAILED. State and helpers: order-run.ts.
 */
export async function OrderProcessingWorkflow(input: OrderWorkflowInput): Promise<OrderStatus> {
  const { orderId, settings } = input;

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
  // Each version includes the ones before it and records only its own marker (two history events fewer a patch).
  const stageAttribute = patched(PATCHES.stageAttribute);
  const localSteps = stageAttribute || patched(PATCHES.localSteps);
  const fewerSteps = localSteps || patched(PATCHES.fewerSteps);
  const riskCheck = fewerSteps || patched(PATCHES.riskCheck);
  const paymentRetry = fewerSteps || patched(PATCHES.paymentRetry);

  const run = new OrderRun(orderId, { stageAttribute });
  const { status, fulfillmentId } = run;
  setHandler(
    orderReceived,
    run.once(() => {
      status.orderReceived = true;
      status.orderVersion += 1;
    }),
  );
  setHandler(
    orderCancelled,
    run.once<OrderCancelledSignal>((signal) => {
      run.cancellation ??= signal.reason;
    }),
  );
  setHandler(
    reprocessRequested,
    run.once(() => {
      // The storefront holds the order: a reprocess request is enough to (re)validate it.
      status.orderReceived = true;
      run.reprocessRequests += 1;
    }),
  );
  setHandler(
    paymentValidated,
    run.once<PaymentValidatedSignal>((signal) => {
      // v2: a payment that follows a failed one (the customer paid again) is the one that counts.
      const open = status.payment.status === 'none' || (paymentRetry && status.payment.status === 'failed');
      if (open) status.payment = { status: 'validated', paymentId: signal.paymentId, reference: signal.reference };
    }),
  );
  setHandler(
    paymentFailed,
    run.once<PaymentFailedSignal>((signal) => {
      if (status.payment.status === 'none') status.payment = { status: 'failed', paymentId: signal.paymentId };
      if (paymentRetry && status.payment.status !== 'validated') (status.failedPayments ??= []).push({ paymentId: signal.paymentId, reason: signal.reason });
      run.record('payment', 'failed', signal.reason);
    }),
  );
  setHandler(
    orderReviewed,
    run.once<OrderReviewSignal>((signal) => {
      run.review ??= signal;
    }),
  );
  setHandler(orderStatusQuery, () => status);

  // v4: the groups this run's worker hosts are called as local activities.
  const local = localSteps ? await localGroups() : [];
  const activities = orderActivities(settings.taskQueues, local);
  const { storefront, payment, fulfillment, notification } = activities;

  const previous = input.reprocessOf;
  if (previous) {
    run.record('reprocess', 'info', `reprocessing run ${previous.runId}${previous.fulfillmentId ? ` (fulfillment ${previous.fulfillmentId})` : ''}`);
    if (previous.payment) {
      status.payment = { status: 'validated', ...previous.payment };
      run.record('payment', 'info', `carried over from run ${previous.runId}`);
    }
  }
  let enriched: { customerId: string; skus: string[] } | undefined;
  try {
    await run.waitFor(() => status.orderReceived, settings.orderTimeoutMs, 'the order never arrived');

    for (;;) {
      run.enter('validating');
      const versionValidated = status.orderVersion;
      const reprocessSeen = run.reprocessRequests;
      // v3: validated and enriched in one activity.
      const validation: OrderCheck = await run.interruptible(() => (fewerSteps ? storefront.checkOrder(orderId) : storefront.validateOrder(orderId)));
      if (validation.valid) {
        run.record('validate', 'ok');
        enriched = validation.enriched;
        break;
      }
      run.record('validate', 'failed', validation.reasons.join('; '));
      run.wrote(await fulfillment.publishOrderStatus({ orderId, status: 'INVALID', reasons: validation.reasons }));
      run.enter('awaiting-correction');
      await run.waitFor(
        () => status.orderVersion > versionValidated || run.reprocessRequests > reprocessSeen,
        settings.correctionTimeoutMs,
        `invalid order not corrected in time: ${validation.reasons.join('; ')}`,
      );
    }

    if (!enriched) {
      run.throwIfCancelled();
      run.enter('enriching');
      enriched = await run.interruptible(() => storefront.enrichOrder(orderId));
    }
    run.record('enrich', 'ok', `customer ${enriched.customerId}, ${enriched.skus.length} products`);

    run.enter('awaiting-payment');
    await run.waitFor(() => status.payment.status !== 'none', settings.paymentTimeoutMs, 'payment not validated in time');
    if (status.payment.status === 'failed') {
      if (!paymentRetry) throw new OrderAbandoned('payment failed');
      run.enter('awaiting-payment-retry');
      const windowMs = settings.paymentRetryWindowMs ?? CHANGE_DEFAULTS.paymentRetryWindowMs;
      await run.waitFor(() => status.payment.status === 'validated', windowMs, 'payment failed and was not made again in time');
    }
    const { paymentId, reference } = status.payment;
    if (!paymentId || !reference) throw ApplicationFailure.nonRetryable('validated payment without id or reference');
    run.record('payment', 'ok', `payment ${paymentId}`);
    // A payment carried over from an earlier run belongs to that run's fulfilment: never void it here.
    if (!previous?.payment) run.onFailureUndo('void payment', () => payment.voidPayment({ orderId, paymentId }));

    if (riskCheck) await checkRisk(run, activities, enriched.customerId, settings.reviewTimeoutMs);

    run.throwIfCancelled();
    run.enter('allocating');
    // The release is registered before the reservation is asked for: if the call is cut short after
    // the storefront made it, the compensation still finds it (both are keyed by the fulfillment id).
    run.onFailureUndo('release inventory', () => storefront.releaseInventory({ orderId, reservationId: fulfillmentId }));
    const { reservationId } = await run.interruptible(() => storefront.reserveInventory({ orderId, fulfillmentId }));
    status.reservationId = reservationId;
    run.record('allocate', 'ok', `reservation ${reservationId}`);

    run.throwIfCancelled();
    run.enter('publishing');
    const published = { orderId, fulfillmentId, paymentReference: reference, reprocessOf: previous?.fulfillmentId, orderedAt: status.appliedEvents[0]?.time };
    const completed = { ...(status.risk ? { risk: status.risk } : {}) };
    // v3: the fulfilment and the COMPLETED status in one publication, before the notification.
    run.wrote(fewerSteps ? await fulfillment.publishCompletion({ ...published, ...completed }) : await fulfillment.publishFulfillment(published));
    status.fulfillmentId = fulfillmentId;
    run.record('publish', 'ok', fulfillmentId);
    // From here the fulfillment system owns the order; a later cancellation is recorded, not compensated.

    run.enter('notifying');
    await notification.notifyCustomer({ orderId, fulfillmentId, template: 'order-confirmed' });
    run.record('notify', 'ok');
    if (!fewerSteps) run.wrote(await fulfillment.publishOrderStatus({ orderId, status: 'COMPLETED', reasons: [], ...completed }));
    await closeAfterLocalSteps(local);
    if (run.cancellation !== undefined) run.record('cancel', 'skipped', `arrived after fulfilment: ${run.cancellation}`);
    run.enter('completed');
    return status;
  } catch (error) {
    const abandoned = error instanceof OrderAbandoned || isCancellation(error);
    const reason = reasonOf(error);
    log.warn('order did not complete; compensating', { orderId, reason });
    await CancellationScope.nonCancellable(async () => {
      run.enter('compensating');
      await run.compensate();
      run.wrote(await fulfillment.publishOrderStatus({ orderId, status: abandoned ? 'CANCELLED' : 'FAILED', reasons: [reason], ...(status.risk ? { risk: status.risk } : {}) }));
    });
    await closeAfterLocalSteps(local);
    run.record(abandoned ? 'cancel' : 'fail', 'info', reason);
    run.enter(abandoned ? 'cancelled' : 'failed');
    if (abandoned) return status;
    throw error;
  }
}

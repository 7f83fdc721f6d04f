import { ActivityFailure, CancellationScope, condition, isCancellation, patched, proxyActivities, setHandler } from '@temporalio/workflow';
import type { PaymentActivities } from '../activity/payment/activities.ts';
import { CHANGE_DEFAULTS, PATCHES, paymentEvent, paymentReport, paymentStatusQuery, type PaymentEventSignal, type PaymentStatusView, type PaymentWorkflowInput, type SettledPayment } from '../contract/workflows.ts';
import { appliesOnce } from './applied-events.ts';
import { paymentActivities, localGroups } from './order-activities.ts';

/**
 * Confirms a payment with the provider (its API, not the webhook, is the source of truth), polls
 * while it is pending, and tells the order workflow the result.
 */
export async function PaymentValidationWorkflow(input: PaymentWorkflowInput): Promise<PaymentStatusView> {
  const { orderId } = input;
  // Polling is the retry policy: the activity fails while the payment is pending, and Temporal
  // retries it with backoff until it settles or the poll window closes.
  const poller = proxyActivities<PaymentActivities>({
    taskQueue: input.taskQueues.payment,
    startToCloseTimeout: '30 seconds',
    scheduleToCloseTimeout: input.pollTimeoutMs,
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
  });

  // Decided once per run, as in the order workflow (see the versions comment there): each version
  // includes the ones before it, with one marker.
  const localSteps = patched(PATCHES.localSteps);
  const fewerSteps = localSteps || patched(PATCHES.fewerSteps);
  const paymentRetry = fewerSteps || patched(PATCHES.paymentRetry);
  const view: PaymentStatusView = { orderId, status: 'waiting', checks: 0, appliedEvents: [] };
  const inbox: PaymentEventSignal[] = [];
  const once = appliesOnce(view.appliedEvents);
  setHandler(paymentEvent, once<PaymentEventSignal>((signal) => void inbox.push(signal)));
  setHandler(paymentStatusQuery, () => view);
  // v4: local activities when this run's worker hosts the payment group (the poller stays on the queue).
  const payment = paymentActivities(input.taskQueues.payment, localSteps ? await localGroups() : []);

  for (;;) {
    if (view.status === 'failed') {
      // v2: the customer may pay again (another card) within the window; the order waits as long.
      const again = await condition(() => inbox.length > 0, input.retryWindowMs ?? CHANGE_DEFAULTS.paymentRetryWindowMs);
      if (!again) return view;
    } else await condition(() => inbox.length > 0);
    const event = inbox.shift()!;
    view.paymentId = event.paymentId;
    view.checks += 1;
    // v3: confirmed and, once settled, reported to the order in one activity.
    let settled: SettledPayment & { reported?: boolean } = fewerSteps
      ? await payment.settlePayment({ orderId, eventId: event.eventId, paymentId: event.paymentId })
      : await payment.getPaymentStatus({ paymentId: event.paymentId });

    if (settled.status === 'pending') {
      view.status = 'pending';
      const scope = new CancellationScope();
      const polled = scope.run(() => poller.awaitPaymentSettled({ paymentId: event.paymentId }));
      const nextWebhook = condition(() => inbox.length > 0).then(() => 'webhook' as const);
      const first = await Promise.race([polled.then((result) => ({ result }), (error: unknown) => ({ error })), nextWebhook]);
      if (first === 'webhook') {
        // A newer webhook arrived: stop polling and confirm again from it.
        scope.cancel();
        await polled.catch(() => undefined);
        continue;
      }
      if ('error' in first) {
        if (isCancellation(first.error)) throw first.error;
        const reason = first.error instanceof ActivityFailure ? 'payment still pending when the poll window closed' : String(first.error);
        settled = { status: 'failed', amount: event.amount, reason };
      } else {
        settled = first.result;
      }
    }

    if (!settled.reported) await payment.reportPaymentToOrder(paymentReport(orderId, event, settled));
    if (settled.status === 'authorized' || settled.status === 'captured') view.status = 'validated';
    else {
      view.status = 'failed';
      if (paymentRetry) {
        (view.failed ??= []).push(event.paymentId);
        continue;
      }
    }
    return view;
  }
}

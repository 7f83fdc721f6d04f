import { activityLog } from '../log.ts';
import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import { activityInfo, log } from '@temporalio/activity';
import { paymentFailed, paymentReport, paymentValidated, type PaymentFailedSignal, type PaymentReport, type PaymentValidatedSignal, type SettledPayment } from '../../contract/workflows.ts';
import type { PaymentProviderClient } from './client.ts';

export type { PaymentReport, SettledPayment };

/**
 * Delivers a payment result to the order workflow by signal-with-start, idempotent on the signal's
 * event id: the order workflow may not exist yet (payment before order). The worker role wires it to
 * the signal module; an error with `retriable: false` means Temporal refused the signal for good.
 */
export type OrderSignaller = (orderId: string, signal: { name: string; arg: PaymentValidatedSignal | PaymentFailedSignal }) => Promise<'accepted' | 'late'>;

export interface PaymentActivityDeps {
  provider: PaymentProviderClient;
  signalOrder: OrderSignaller;
}

export function createPaymentActivities(deps: PaymentActivityDeps) {
  const lookup = async (paymentId: string): Promise<SettledPayment> => {
    const payment = await deps.provider.getPayment(paymentId);
    if (!payment) return { status: 'failed', amount: 0, reason: `payment ${paymentId} is unknown to the provider` };
    if (payment.status === 'voided') return { status: 'failed', amount: payment.amount, reason: 'payment was voided' };
    return { status: payment.status, amount: payment.amount, reference: payment.reference, reason: payment.reason };
  };

  const report = async (result: PaymentReport): Promise<void> => {
    const signal =
      result.outcome === 'validated'
        ? { name: paymentValidated.name, arg: { eventId: result.eventId, type: 'payment.validated', paymentId: result.paymentId, reference: result.reference, amount: result.amount } satisfies PaymentValidatedSignal }
        : { name: paymentFailed.name, arg: { eventId: result.eventId, type: 'payment.failed', paymentId: result.paymentId, reason: result.reason } satisfies PaymentFailedSignal };
    try {
      const outcome = await deps.signalOrder(result.orderId, signal);
      if (outcome === 'late') log.warn('order workflow already closed: payment result not delivered', { orderId: result.orderId, outcome: result.outcome });
    } catch (error) {
      const failure = error as Error & { retriable?: boolean };
      if (failure.retriable === false) throw ApplicationFailure.nonRetryable(failure.message, 'SignalRejected');
      throw ApplicationFailure.retryable(failure.message, 'TemporalUnavailable');
    }
  };

  return {
    async getPaymentStatus(input: { paymentId: string }): Promise<SettledPayment> {
      return lookup(input.paymentId);
    },

    /** Fails while the payment is pending, so the retry policy turns into polling with backoff. */
    async awaitPaymentSettled(input: { paymentId: string }): Promise<SettledPayment> {
      const payment = await lookup(input.paymentId);
      if (payment.status === 'pending') {
        // BENIGN: an expected outcome of polling, logged at debug level rather than as a worker warning.
        throw ApplicationFailure.create({
          message: `payment ${input.paymentId} still pending (check ${activityInfo().attempt})`,
          type: 'PaymentPending',
          category: ApplicationFailureCategory.BENIGN,
        });
      }
      return payment;
    },

    async voidPayment(input: { orderId: string; paymentId: string }): Promise<void> {
      await deps.provider.voidPayment(input.paymentId);
    },

    /** To the order workflow, which may not exist yet when the payment settles first. */
    reportPaymentToOrder: report,

    /**
     * v3: confirm a payment with the provider and, once it has settled, report it to the order, in one
     * activity. A pending payment is returned unreported: the workflow polls for it, then reports.
     */
    async settlePayment(input: { orderId: string; eventId: string; paymentId: string }): Promise<SettledPayment & { reported: boolean }> {
      const settled = await lookup(input.paymentId);
      if (settled.status === 'pending') return { ...settled, reported: false };
      await report(paymentReport(input.orderId, input, settled));
      activityLog.debug('payment settled and reported', { orderId: input.orderId, paymentId: input.paymentId, status: settled.status });
      return { ...settled, reported: true };
    },
  };
}

export type PaymentActivities = ReturnType<typeof createPaymentActivities>;

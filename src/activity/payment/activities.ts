import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import { activityInfo, log } from '@temporalio/activity';
import { paymentFailed, paymentValidated, type PaymentFailedSignal, type PaymentValidatedSignal } from '../../contract/workflows.ts';
import type { PaymentProviderClient } from './client.ts';

export interface SettledPayment {
  status: 'pending' | 'authorized' | 'captured' | 'failed';
  amount: number;
  reference?: string;
  reason?: string;
}

export type PaymentReport =
  | { orderId: string; outcome: 'validated'; eventId: string; paymentId: string; reference: string; amount: number }
  | { orderId: string; outcome: 'failed'; eventId: string; paymentId: string; reason: string };

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
    async reportPaymentToOrder(report: PaymentReport): Promise<void> {
      const signal =
        report.outcome === 'validated'
          ? { name: paymentValidated.name, arg: { eventId: report.eventId, type: 'payment.validated', paymentId: report.paymentId, reference: report.reference, amount: report.amount } satisfies PaymentValidatedSignal }
          : { name: paymentFailed.name, arg: { eventId: report.eventId, type: 'payment.failed', paymentId: report.paymentId, reason: report.reason } satisfies PaymentFailedSignal };
      try {
        const outcome = await deps.signalOrder(report.orderId, signal);
        if (outcome === 'late') log.warn('order workflow already closed: payment result not delivered', { orderId: report.orderId, outcome: report.outcome });
      } catch (error) {
        const failure = error as Error & { retriable?: boolean };
        if (failure.retriable === false) throw ApplicationFailure.nonRetryable(failure.message, 'SignalRejected');
        throw ApplicationFailure.retryable(failure.message, 'TemporalUnavailable');
      }
    },
  };
}

export type PaymentActivities = ReturnType<typeof createPaymentActivities>;

import { serveJson, type RunningStandin } from './http-server.ts';

type Status = 'pending' | 'authorized' | 'captured' | 'failed' | 'voided';

interface StandinPayment {
  paymentId: string;
  orderId: string;
  amount: number;
  currency: string;
  status: Status;
  reference: string;
  reason?: string;
  /** A pending payment turns into `settlesAs` after this many more status lookups. */
  settlesAs?: Status;
  lookupsUntilSettled?: number;
  lookups: number;
}

/**
 * A stand-in for the payment provider's API. Payments are registered with PUT (what the provider
 * knows after checkout); a payment never registered but named `PAY-...` is authorized, so simple
 * demos need no set-up. A pending payment can be told to settle after some lookups, to exercise polling.
 */
export async function startPaymentProviderStandin(options: { port?: number; host?: string } = {}): Promise<RunningStandin> {
  const payments = new Map<string, StandinPayment>();
  const lookup = (paymentId: string): StandinPayment | undefined => {
    const known = payments.get(paymentId);
    if (known) return known;
    if (!paymentId.startsWith('PAY-')) return undefined;
    const payment: StandinPayment = { paymentId, orderId: '', amount: 0, currency: 'EUR', status: 'authorized', reference: `ref-${paymentId}`, lookups: 0 };
    payments.set(paymentId, payment);
    return payment;
  };
  const view = ({ lookups: _lookups, lookupsUntilSettled: _until, settlesAs: _as, ...payment }: StandinPayment) => payment;

  return serveJson(options.port ?? 0, ({ method, path, body }) => {
    const [resource, id, action] = path;
    if (resource !== 'payments' || !id) return { status: 404, body: { error: 'no route' } };
    if (method === 'PUT') {
      const input = body as Partial<StandinPayment>;
      const payment: StandinPayment = {
        paymentId: id,
        orderId: input.orderId ?? '',
        amount: input.amount ?? 0,
        currency: input.currency ?? 'EUR',
        status: input.status ?? 'authorized',
        reference: input.reference ?? `ref-${id}`,
        reason: input.reason,
        settlesAs: input.settlesAs,
        lookupsUntilSettled: input.lookupsUntilSettled,
        lookups: 0,
      };
      payments.set(id, payment);
      return { status: 200, body: view(payment) };
    }
    const payment = lookup(id);
    if (!payment) return { status: 404, body: { error: `payment ${id} not found` } };
    if (method === 'GET' && !action) {
      payment.lookups += 1;
      if (payment.status === 'pending' && payment.settlesAs && payment.lookups > (payment.lookupsUntilSettled ?? 0)) payment.status = payment.settlesAs;
      return { status: 200, body: view(payment) };
    }
    if (method === 'POST' && action === 'void') {
      payment.status = 'voided';
      return { status: 200, body: view(payment) };
    }
    return { status: 404, body: { error: 'no route' } };
  }, options.host);
}

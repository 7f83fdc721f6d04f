import { expectOk, httpRequest } from '../http.ts';

export type ProviderPaymentStatus = 'pending' | 'authorized' | 'captured' | 'failed' | 'voided';

export interface ProviderPayment {
  paymentId: string;
  status: ProviderPaymentStatus;
  amount: number;
  currency: string;
  reference: string;
  reason?: string;
}

/** The payment provider's HTTP API: status lookups and voids. */
export class PaymentProviderClient {
  private readonly baseUrl: string;

  constructor(baseUrl: string) {
    this.baseUrl = baseUrl.replace(/\/$/, '');
  }

  async getPayment(paymentId: string): Promise<ProviderPayment | undefined> {
    const response = await httpRequest(`${this.baseUrl}/payments/${encodeURIComponent(paymentId)}`);
    if (response.status === 404) return undefined;
    return (await (await expectOk(response, `payment ${paymentId}`)).json()) as ProviderPayment;
  }

  async voidPayment(paymentId: string): Promise<void> {
    const response = await httpRequest(`${this.baseUrl}/payments/${encodeURIComponent(paymentId)}/void`, { method: 'POST' });
    if (response.status === 404) return;
    await expectOk(response, `void payment ${paymentId}`);
  }
}

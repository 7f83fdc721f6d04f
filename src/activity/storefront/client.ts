import { expectOk, httpRequest, jsonBody } from '../http.ts';
import type { RequestBudget } from './limiter.ts';

export interface StorefrontOrder {
  orderId: string;
  customerId: string;
  lines: { sku: string; quantity: number; unitPrice: number }[];
  currency: string;
  total: number;
  shippingAddress: { line1: string; city: string; postalCode: string; country: string };
  placedAt: string;
}

export interface StorefrontCustomer {
  id: string;
  email: string;
  name: string;
}

export interface StorefrontProduct {
  sku: string;
  name: string;
  unitPrice: number;
  weightGrams: number;
}

/** The commerce app's HTTP API. Every call waits its turn at the shared limiter. */
export class StorefrontClient {
  private readonly baseUrl: string;
  private readonly budget: RequestBudget;

  constructor(baseUrl: string, budget: RequestBudget) {
    this.baseUrl = baseUrl.replace(/\/$/, '');
    this.budget = budget;
  }

  private call(path: string, init?: RequestInit): Promise<Response> {
    return this.budget.schedule(() => httpRequest(`${this.baseUrl}${path}`, init));
  }

  /** undefined when the storefront has no such order (404). */
  async getOrder(orderId: string): Promise<StorefrontOrder | undefined> {
    const response = await this.call(`/orders/${encodeURIComponent(orderId)}`);
    if (response.status === 404) return undefined;
    return (await (await expectOk(response, `order ${orderId}`)).json()) as StorefrontOrder;
  }

  async getCustomer(customerId: string): Promise<StorefrontCustomer | undefined> {
    const response = await this.call(`/customers/${encodeURIComponent(customerId)}`);
    if (response.status === 404) return undefined;
    return (await (await expectOk(response, `customer ${customerId}`)).json()) as StorefrontCustomer;
  }

  async getProduct(sku: string): Promise<StorefrontProduct | undefined> {
    const response = await this.call(`/products/${encodeURIComponent(sku)}`);
    if (response.status === 404) return undefined;
    return (await (await expectOk(response, `product ${sku}`)).json()) as StorefrontProduct;
  }

  /**
   * Reserves stock for every line. The reservation is keyed by the fulfillment id we send, so a retry
   * returns the same reservation and a release can name it before the answer arrived. 409: not enough stock.
   */
  async reserve(orderId: string, fulfillmentId: string): Promise<{ reservationId: string } | { insufficientStock: string }> {
    const response = await this.call('/reservations', jsonBody({ orderId, reservationKey: fulfillmentId }));
    if (response.status === 409) return { insufficientStock: await response.text() };
    return (await (await expectOk(response, `reservation for ${orderId}`)).json()) as { reservationId: string };
  }

  async release(reservationId: string): Promise<void> {
    const response = await this.call(`/reservations/${encodeURIComponent(reservationId)}`, { method: 'DELETE' });
    if (response.status === 404) return;
    await expectOk(response, `release ${reservationId}`);
  }
}

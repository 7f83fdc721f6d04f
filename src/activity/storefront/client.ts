import { LRUCache } from 'lru-cache';
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

/**
 * How old a read may be where a fresh one adds nothing: enrich runs just after validate read the
 * order, and publishing needs the customer enrich just checked. Validate and publish read the order
 * afresh: it is what gets checked and what gets shipped.
 */
export const RECENT_READ_MS = 60_000;

/** Products change rarely and are only checked to exist: one lookup per SKU per worker every five minutes. */
export const PRODUCT_MAX_AGE_MS = 5 * 60_000;

/**
 * The commerce app's HTTP API. Every call waits its turn at the shared limiter, so every call saved
 * is an order more per second: reads can accept an answer this worker got a moment ago (`maxAgeMs`),
 * kept in memory only, never in workflow history. Concurrent reads of one resource share one request.
 */
export class StorefrontClient {
  private readonly baseUrl: string;
  private readonly budget: RequestBudget;
  private readonly recent = new LRUCache<string, { at: number; value: Promise<unknown> }>({ max: 10_000 });

  constructor(baseUrl: string, budget: RequestBudget) {
    this.baseUrl = baseUrl.replace(/\/$/, '');
    this.budget = budget;
  }

  private call(path: string, init?: RequestInit): Promise<Response> {
    return this.budget.schedule(() => httpRequest(`${this.baseUrl}${path}`, init));
  }

  /** A GET of `path`, or what this worker read of it at most `maxAgeMs` ago; undefined for a 404. */
  private read<T>(path: string, what: string, maxAgeMs: number): Promise<T | undefined> {
    const hit = this.recent.get(path);
    if (hit && Date.now() - hit.at <= maxAgeMs) return hit.value as Promise<T | undefined>;
    const value = this.call(path).then(async (response) => (response.status === 404 ? undefined : ((await (await expectOk(response, what)).json()) as T)));
    const entry = { at: Date.now(), value };
    this.recent.set(path, entry);
    value.catch(() => {
      if (this.recent.get(path) === entry) this.recent.delete(path);
    });
    return value;
  }

  /** undefined when the storefront has no such order (404). The default reads it afresh. */
  getOrder(orderId: string, maxAgeMs = 0): Promise<StorefrontOrder | undefined> {
    return this.read(`/orders/${encodeURIComponent(orderId)}`, `order ${orderId}`, maxAgeMs);
  }

  getCustomer(customerId: string, maxAgeMs = 0): Promise<StorefrontCustomer | undefined> {
    return this.read(`/customers/${encodeURIComponent(customerId)}`, `customer ${customerId}`, maxAgeMs);
  }

  getProduct(sku: string, maxAgeMs = PRODUCT_MAX_AGE_MS): Promise<StorefrontProduct | undefined> {
    return this.read(`/products/${encodeURIComponent(sku)}`, `product ${sku}`, maxAgeMs);
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

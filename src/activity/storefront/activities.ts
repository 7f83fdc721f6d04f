import { activityLog } from '../log.ts';
import { ApplicationFailure } from '@temporalio/common';
import { isCurrency, minorUnitDigits, sameAmount } from '../../contract/money.ts';
import { RECENT_READ_MS, type StorefrontClient } from './client.ts';

export interface OrderValidation {
  valid: boolean;
  reasons: string[];
}

export interface OrderCheck extends OrderValidation {
  /** Set when the order is valid: what enriching it found. */
  enriched?: { customerId: string; skus: string[] };
}

export function createStorefrontActivities(deps: { storefront: StorefrontClient }) {
  const { storefront } = deps;

  /** The order exists, its lines are known SKUs with quantities above 0, and its total agrees with its lines. */
  async function validate(orderId: string): Promise<OrderValidation> {
    const order = await storefront.getOrder(orderId);
    if (!order) return { valid: false, reasons: [`order ${orderId} does not exist in the storefront`] };
    const reasons: string[] = [];
    const products = await Promise.all(order.lines.map((line) => storefront.getProduct(line.sku)));
    order.lines.forEach((line, index) => {
      if (!products[index]) reasons.push(`unknown SKU ${line.sku}`);
      if (line.quantity <= 0) reasons.push(`quantity of ${line.sku} must be above 0, is ${line.quantity}`);
    });
    if (!isCurrency(order.currency)) reasons.push(`currency ${order.currency} is not an ISO 4217 code`);
    else {
      // Totals agree when they are the same count of the currency's minor units.
      const computed = order.lines.reduce((sum, line) => sum + line.quantity * line.unitPrice, 0);
      if (!sameAmount(computed, order.total, order.currency)) reasons.push(`total ${order.total} does not match the lines (${computed.toFixed(minorUnitDigits(order.currency))})`);
    }
    if (order.lines.length === 0) reasons.push('order has no lines');
    return { valid: reasons.length === 0, reasons };
  }

  /** Checks the customer and product details are there; returns ids only (documents stay in the storefront). */
  async function enrich(orderId: string): Promise<{ customerId: string; skus: string[] }> {
    const order = await storefront.getOrder(orderId, RECENT_READ_MS);
    if (!order) throw ApplicationFailure.nonRetryable(`order ${orderId} disappeared from the storefront`, 'OrderMissing');
    const customer = await storefront.getCustomer(order.customerId);
    if (!customer) throw ApplicationFailure.nonRetryable(`customer ${order.customerId} of order ${orderId} does not exist`, 'CustomerMissing');
    return { customerId: customer.id, skus: order.lines.map((line) => line.sku) };
  }

  return {
    validateOrder: validate,
    enrichOrder: enrich,

    /**
     * v3: validate, and enrich a valid order, in one activity: both read the same order from the same
     * storefront, so one round trip through Temporal does for two.
     */
    async checkOrder(orderId: string): Promise<OrderCheck> {
      const validation = await validate(orderId);
      activityLog.debug('order checked', { orderId, valid: validation.valid });
      return validation.valid ? { ...validation, enriched: await enrich(orderId) } : validation;
    },

    async reserveInventory(input: { orderId: string; fulfillmentId: string }): Promise<{ reservationId: string }> {
      const result = await storefront.reserve(input.orderId, input.fulfillmentId);
      if ('insufficientStock' in result) {
        throw ApplicationFailure.nonRetryable(`insufficient stock for ${input.orderId}: ${result.insufficientStock}`, 'InsufficientStock');
      }
      return result;
    },

    async releaseInventory(input: { orderId: string; reservationId: string }): Promise<void> {
      await storefront.release(input.reservationId);
    },
  };
}

export type StorefrontActivities = ReturnType<typeof createStorefrontActivities>;

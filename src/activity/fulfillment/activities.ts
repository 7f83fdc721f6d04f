import { ApplicationFailure } from '@temporalio/common';
import type { AvroPublisher } from '../../avro/publisher.ts';
import type { OrderStatusValue } from '../../avro/schemas.ts';
import type { StorefrontClient } from '../storefront/client.ts';

const toMinorUnits = (amount: number) => Math.round(amount * 100);

export function createFulfillmentActivities(deps: { storefront: StorefrontClient; publisher: AvroPublisher }) {
  return {
    /** Builds the fulfillment message from the storefront (the source of truth) and publishes it as Avro. */
    async publishFulfillment(input: { orderId: string; fulfillmentId: string; paymentReference: string; reprocessOf?: string }): Promise<void> {
      const order = await deps.storefront.getOrder(input.orderId);
      if (!order) throw ApplicationFailure.nonRetryable(`order ${input.orderId} disappeared from the storefront`, 'OrderMissing');
      const customer = await deps.storefront.getCustomer(order.customerId);
      if (!customer) throw ApplicationFailure.nonRetryable(`customer ${order.customerId} does not exist`, 'CustomerMissing');
      await deps.publisher.publishFulfillment({
        orderId: order.orderId,
        fulfillmentId: input.fulfillmentId,
        customer: { id: customer.id, name: customer.name, email: customer.email },
        shippingAddress: order.shippingAddress,
        lines: order.lines.map((line) => ({ sku: line.sku, quantity: line.quantity, unitPriceMinor: toMinorUnits(line.unitPrice) })),
        currency: order.currency,
        paymentReference: input.paymentReference,
        eventTime: Date.now(),
        reprocessOf: input.reprocessOf ?? null,
      });
    },

    async publishOrderStatus(input: { orderId: string; status: OrderStatusValue; reasons: string[] }): Promise<void> {
      await deps.publisher.publishOrderStatus({ ...input, time: Date.now() });
    },
  };
}

export type FulfillmentActivities = ReturnType<typeof createFulfillmentActivities>;

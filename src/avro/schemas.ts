import { readFileSync } from 'node:fs';

/** The Avro contracts of what the service publishes, read from schemas/avro/*.avsc. */
export type AvroSchemaName = 'FulfillmentOrder' | 'OrderStatusChanged';

export function readAvroSchema(name: AvroSchemaName): string {
  return readFileSync(new URL(`../../schemas/avro/${name}.avsc`, import.meta.url), 'utf8');
}

export interface FulfillmentOrderRecord {
  orderId: string;
  fulfillmentId: string;
  customer: { id: string; name: string; email: string };
  shippingAddress: { line1: string; city: string; postalCode: string; country: string };
  lines: { sku: string; quantity: number; unitPriceMinor: number }[];
  currency: string;
  minorUnitDigits: number;
  paymentReference: string;
  eventTime: number;
  reprocessOf: string | null;
}

export type OrderStatusValue = 'INVALID' | 'COMPLETED' | 'CANCELLED' | 'FAILED' | 'IN_REVIEW';

export interface RiskDecisionRecord {
  score: number;
  decision: 'UNKNOWN' | 'PASSED' | 'APPROVED' | 'REJECTED' | 'REVIEW_TIMED_OUT';
  reviewer: string | null;
}

export interface OrderStatusChangedRecord {
  orderId: string;
  status: OrderStatusValue;
  reasons: string[];
  time: number;
  risk: RiskDecisionRecord | null;
}

import { z } from 'zod';
import { CURRENCY_CODES, decimalsProblem } from '../contract/money.ts';

/**
 * The inbound contract: the `data` of every event type this service accepts. Events are validated
 * against these before anything is sent to Temporal; `schemas/events/*.schema.json` is generated
 * from them (`oms schemas write`) for producers. Shapes only: whether an order makes business sense
 * (known SKUs, quantities above 0, totals) is the workflow's validation step, which can wait for a
 * correction, not the DLQ's.
 */
// The pattern says in JSON Schema what the trim says here: not blank.
const id = z.string().trim().min(1).regex(/\S/, 'must not be blank');
const currency = z.enum(CURRENCY_CODES as [string, ...string[]], { error: 'expected an ISO 4217 code such as EUR' });

/**
 * Amounts are in major units (19.99 EUR, 1665 JPY) with no more decimals than the currency's minor
 * unit: a cross-field rule, so the published JSON Schemas state it in words only.
 */
const AMOUNT_RULE = 'Amounts are in major units, with no more decimals than the currency allows (ISO 4217: JPY 0, EUR 2, KWD 3)';
function amountsFit(currencyOf: string, amounts: [path: (string | number)[], amount: number | undefined][], ctx: z.RefinementCtx): void {
  for (const [path, amount] of amounts) {
    const problem = amount === undefined ? null : decimalsProblem(amount, currencyOf);
    if (problem) ctx.addIssue({ code: 'custom', path, message: problem });
  }
}

const orderLine = z.object({
  sku: id,
  quantity: z.number().int(),
  unitPrice: z.number().nonnegative(),
});

export const orderData = z.object({
  orderId: id,
  customer: z.object({ id, email: z.email(), name: z.string().min(1) }),
  lines: z.array(orderLine).min(1),
  currency,
  shippingAddress: z.object({
    line1: z.string().min(1),
    city: z.string().min(1),
    postalCode: z.string().min(1),
    country: z.string().regex(/^[A-Z]{2}$/, 'expected an ISO 3166-1 alpha-2 code such as DE'),
  }),
  total: z.number().nonnegative().optional(),
})
  .describe(AMOUNT_RULE)
  .superRefine((order, ctx) => amountsFit(order.currency, [...order.lines.map((line, n): [(string | number)[], number] => [['lines', n, 'unitPrice'], line.unitPrice]), [['total'], order.total]], ctx));

const cancelledData = z.object({ orderId: id, reason: z.string().optional() });

const paymentData = z.object({
  orderId: id,
  paymentId: id,
  amount: z.number().nonnegative(),
  currency,
  reason: z.string().optional(),
})
  .describe(AMOUNT_RULE)
  .superRefine((payment, ctx) => amountsFit(payment.currency, [[['amount'], payment.amount]], ctx));

const reprocessData = z.object({ orderId: id, reason: z.string().min(1), requestedBy: z.string().optional() });

const reviewData = z.object({
  orderId: id,
  decision: z.enum(['approve', 'reject']),
  reviewer: z.string().min(1).optional(),
  note: z.string().optional(),
});

export const EVENT_DATA_SCHEMAS = {
  'order.created': orderData,
  'order.updated': orderData,
  'order.cancelled': cancelledData,
  'payment.authorized': paymentData,
  'payment.captured': paymentData,
  'payment.failed': paymentData,
  'payment.pending': paymentData,
  'order.reprocess': reprocessData,
  'order.review': reviewData,
} as const;

export type EventType = keyof typeof EVENT_DATA_SCHEMAS;
export type EventData<T extends EventType> = z.infer<(typeof EVENT_DATA_SCHEMAS)[T]>;
export type OrderData = z.infer<typeof orderData>;

export function isEventType(type: string): type is EventType {
  return Object.hasOwn(EVENT_DATA_SCHEMAS, type);
}

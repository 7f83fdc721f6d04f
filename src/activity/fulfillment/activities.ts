import { activityLog } from '../log.ts';
import { ApplicationFailure } from '@temporalio/common';
import type { AvroPublisher, WrittenRecord } from '../../avro/publisher.ts';
import type { FulfillmentOrderRecord, OrderStatusChangedRecord, OrderStatusValue, RiskDecisionRecord } from '../../avro/schemas.ts';
import type { PublishedRecord, RiskDecision } from '../../contract/workflows.ts';
import type { OrderMetrics, OrderOutcome } from '../../observability/metrics.ts';
import { sampledTraceId } from '../../observability/trace-context.ts';
import { minorUnitDigits, toMinorUnits } from '../../contract/money.ts';
import { RECENT_READ_MS, type StorefrontClient } from '../storefront/client.ts';

const RISK_DECISIONS: Record<RiskDecision['decision'], RiskDecisionRecord['decision']> = {
  passed: 'PASSED',
  approved: 'APPROVED',
  rejected: 'REJECTED',
  'review-timed-out': 'REVIEW_TIMED_OUT',
};
const riskRecord = (risk: RiskDecision): RiskDecisionRecord => ({ score: Math.round(risk.score), decision: RISK_DECISIONS[risk.decision], reviewer: risk.reviewer ?? null });

interface StatusInput {
  orderId: string;
  status: OrderStatusValue;
  reasons: string[];
  risk?: RiskDecision;
}
const statusRecord = ({ risk, ...status }: StatusInput, time = Date.now()): OrderStatusChangedRecord => ({ ...status, time, risk: risk ? riskRecord(risk) : null });

/**
 * kafkajs gives up on a retriable error (a refused connection, a timeout) by wrapping it in a
 * non-retriable one, so the whole cause chain is read. By name: kafkajs exports its error classes in a
 * way Node's ESM loader can't see as named exports.
 */
function kafkaUnreachable(error: unknown): boolean {
  for (let current = error as (Error & { retriable?: boolean }) | undefined; current; current = current.cause as typeof current) {
    if (current.name?.startsWith('KafkaJS') && (current.retriable === true || current.name === 'KafkaJSNumberOfRetriesExceeded')) return true;
  }
  return false;
}

/**
 * A publication that failed because Kafka could not be reached is retried every second instead of on
 * the activity's own policy, which backs off to 30 s: after a broker restart outlasting kafkajs's own
 * retries, fulfillment would otherwise sit idle for up to 30 s once the broker is back. The retries
 * are still Temporal's; only their delay is set here, as for a 429 with Retry-After.
 */
async function publishing<T>(what: string, publish: () => Promise<T>): Promise<T> {
  try {
    return await publish();
  } catch (error) {
    if (!kafkaUnreachable(error)) throw error;
    throw ApplicationFailure.create({ message: `${what}: Kafka unreachable: ${(error as Error).message}`, type: 'KafkaUnavailable', nextRetryDelay: '1 second', cause: error as Error });
  }
}

interface FulfillmentInput {
  orderId: string;
  fulfillmentId: string;
  paymentReference: string;
  reprocessOf?: string;
  /** The CloudEvents time of the order's first event: where its fulfilment latency starts. */
  orderedAt?: string;
}

/** The outcome each published status counts as; INVALID is a pause for a correction, not an outcome. */
const OUTCOMES: Partial<Record<OrderStatusValue, OrderOutcome>> = { COMPLETED: 'completed', CANCELLED: 'cancelled', FAILED: 'failed', IN_REVIEW: 'held_for_review' };

const statusWritten = (record: OrderStatusChangedRecord, at: WrittenRecord): PublishedRecord => ({ kind: 'status', status: record.status, ...at, time: new Date(record.time).toISOString() });
const fulfillmentWritten = (record: FulfillmentOrderRecord, at: WrittenRecord): PublishedRecord => ({ kind: 'fulfillment', fulfillmentId: record.fulfillmentId, ...at, time: new Date(record.eventTime).toISOString() });

export function createFulfillmentActivities(deps: { storefront: StorefrontClient; publisher: AvroPublisher; metrics?: Pick<OrderMetrics, 'orders' | 'fulfillment'> }) {
  /** Counted once the record is written: an attempt that fails before retries and counts nothing. */
  const counted = (status: OrderStatusValue) => {
    const outcome = OUTCOMES[status];
    if (outcome) deps.metrics?.orders.inc({ outcome });
  };
  const fulfilled = (input: FulfillmentInput, record: FulfillmentOrderRecord) => {
    const started = input.orderedAt ? Date.parse(input.orderedAt) : NaN;
    if (!deps.metrics || Number.isNaN(started)) return;
    const traceId = sampledTraceId();
    deps.metrics.fulfillment.observe({ value: Math.max(0, (record.eventTime - started) / 1000), labels: {}, ...(traceId ? { exemplarLabels: { trace_id: traceId } } : {}) });
  };

  /** What the fulfilment system gets, read from the storefront (the source of truth). */
  async function fulfillmentRecord(input: FulfillmentInput): Promise<FulfillmentOrderRecord> {
    const order = await deps.storefront.getOrder(input.orderId);
    if (!order) throw ApplicationFailure.nonRetryable(`order ${input.orderId} disappeared from the storefront`, 'OrderMissing');
    const customer = await deps.storefront.getCustomer(order.customerId, RECENT_READ_MS);
    if (!customer) throw ApplicationFailure.nonRetryable(`customer ${order.customerId} does not exist`, 'CustomerMissing');
    return {
      orderId: order.orderId,
      fulfillmentId: input.fulfillmentId,
      customer: { id: customer.id, name: customer.name, email: customer.email },
      shippingAddress: order.shippingAddress,
      lines: order.lines.map((line) => ({ sku: line.sku, quantity: line.quantity, unitPriceMinor: toMinorUnits(line.unitPrice, order.currency) })),
      currency: order.currency,
      minorUnitDigits: minorUnitDigits(order.currency),
      paymentReference: input.paymentReference,
      eventTime: Date.now(),
      reprocessOf: input.reprocessOf ?? null,
    };
  }

  return {
    /** Builds the fulfillment message from the storefront (the source of truth) and publishes it as Avro. */
    async publishFulfillment(input: FulfillmentInput): Promise<PublishedRecord[]> {
      const record = await fulfillmentRecord(input);
      const at = await publishing(`fulfillment of ${record.orderId}`, () => deps.publisher.publishFulfillment(record));
      fulfilled(input, record);
      return [fulfillmentWritten(record, at)];
    },

    /** v3: the fulfillment message and the COMPLETED status in one publication (one activity, one produce request). */
    async publishCompletion(input: FulfillmentInput & { risk?: RiskDecision }): Promise<PublishedRecord[]> {
      const { risk, ...fulfillment } = input;
      const record = await fulfillmentRecord(fulfillment);
      const status = statusRecord({ orderId: record.orderId, status: 'COMPLETED', reasons: [], risk }, record.eventTime);
      const at = await publishing(`completion of ${record.orderId}`, () => deps.publisher.publishFulfillmentAndStatus(record, status));
      activityLog.debug('fulfilment and COMPLETED published', { orderId: record.orderId, fulfillmentId: record.fulfillmentId });
      fulfilled(fulfillment, record);
      counted('COMPLETED');
      return [fulfillmentWritten(record, at.fulfillment), statusWritten(status, at.status)];
    },

    async publishOrderStatus(input: StatusInput): Promise<PublishedRecord[]> {
      const record = statusRecord(input);
      const at = await publishing(`status of ${input.orderId}`, () => deps.publisher.publishOrderStatus(record));
      counted(input.status);
      return [statusWritten(record, at)];
    },
  };
}

export type FulfillmentActivities = ReturnType<typeof createFulfillmentActivities>;

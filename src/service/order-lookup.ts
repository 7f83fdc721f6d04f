import { Partitioners, type Admin, type Kafka } from 'kafkajs';
import { WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import type { Config } from '../config/config.ts';
import {
  orderStatusQuery,
  orderWorkflowId,
  paymentStatusQuery,
  paymentWorkflowId,
  TRACE_MEMO,
  type AppliedEvent,
  type OrderStatus,
  type PaymentStatusView,
  type PublishedRecord,
  type RiskDecision,
} from '../contract/workflows.ts';
import { DLQ_HEADERS, dlqTopicFor } from '../ingest/dead-letter.ts';
import { readRange } from '../replay/reader.ts';
import { resolveRange } from '../replay/range.ts';

/** Everything support needs to answer "where is order X?", from Temporal (through the codec) and Kafka. */
export interface OrderLookup {
  orderId: string;
  order?: WorkflowView & { stage?: string; events: AppliedEvent[]; risk?: RiskDecision; published: PublishedRecord[]; fulfillment?: PublishedRecord; problem?: string };
  payment?: WorkflowView & { state?: PaymentStatusView['status']; paymentId?: string; events: AppliedEvent[]; problem?: string };
  deadLetters: DeadLetter[];
  /** How the DLQ search was bounded: one partition of each DLQ (the key's), from `since` on. */
  deadLetterSearch: { since: string; partitions: { topic: string; partition: number; records: number }[] };
  traceId?: string;
  links: { trace?: string; temporal?: string };
}

interface WorkflowView {
  workflowId: string;
  runId: string;
  status: string;
  started: string;
  closed?: string;
}

export interface DeadLetter {
  topic: string;
  partition: number;
  offset: string;
  reason: string;
  message: string;
  eventType?: string;
  eventId?: string;
  originalTopic?: string;
  originalOffset?: string;
  deadLetteredAt?: string;
  /** The trace of the event, from the `traceparent` it kept. */
  traceId?: string;
}

/** 7d, 24h, 30m: how far back the DLQs are read. */
export function parseSince(text: string, now = Date.now()): number {
  const match = /^(\d+)([dhm])$/.exec(text.trim());
  if (!match) throw new Error(`--since: expected a duration such as 7d, 24h or 30m, got "${text}"`);
  const unit = { d: 86_400_000, h: 3_600_000, m: 60_000 }[match[2] as 'd' | 'h' | 'm'];
  return now - Number(match[1]) * unit;
}

const QUERY_DEADLINE_MS = 5_000;

async function describe<T>(client: Client, workflowId: string, read: (handle: WorkflowHandle, status: string) => Promise<T>): Promise<{ view: WorkflowView; memo?: Record<string, unknown>; state?: T; problem?: string } | undefined> {
  const handle = client.workflow.getHandle(workflowId);
  let description;
  try {
    description = await handle.describe();
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return undefined;
    throw error;
  }
  const view: WorkflowView = {
    workflowId,
    runId: description.runId,
    status: description.status.name,
    started: description.startTime.toISOString(),
    ...(description.closeTime ? { closed: description.closeTime.toISOString() } : {}),
  };
  try {
    const state = await client.connection.withDeadline(Date.now() + QUERY_DEADLINE_MS, () => read(handle, view.status));
    return { view, memo: description.memo, state };
  } catch (error) {
    return { view, memo: description.memo, problem: `its state could not be read: ${(error as Error).message}` };
  }
}

/** The order's state: its query, or for a completed run whose query no worker answers, its result (the same status). */
async function orderState(handle: WorkflowHandle, status: string): Promise<OrderStatus> {
  try {
    return await handle.query(orderStatusQuery);
  } catch (error) {
    if (status === 'COMPLETED') return (await handle.result()) as OrderStatus;
    throw error;
  }
}

/**
 * Dead letters are keyed like the events they hold (by order id), and the DLQ producer partitions by
 * key with Kafka's default partitioner: so only the key's partition of each DLQ is read, and only from
 * `sinceMs` on (found by timestamp). A call reads what one partition took in that window, however large the topics.
 */
async function findDeadLetters(kafka: Kafka, admin: Admin, topics: string[], orderId: string, sinceMs: number): Promise<{ found: DeadLetter[]; partitions: OrderLookup['deadLetterSearch']['partitions'] }> {
  const partitioner = Partitioners.DefaultPartitioner();
  const found: DeadLetter[] = [];
  const partitions: OrderLookup['deadLetterSearch']['partitions'] = [];
  const existing = new Set(await admin.listTopics());
  for (const topic of topics.map(dlqTopicFor).filter((name) => existing.has(name))) {
    const ranges = await resolveRange(admin, topic, { kind: 'time', ms: sinceMs, text: '' });
    const count = (await admin.fetchTopicOffsets(topic)).length;
    const partition = partitioner({ topic, partitionMetadata: Array.from({ length: count }, (_, partitionId) => ({ partitionId, leader: 0, replicas: [], isr: [], partitionErrorCode: 0 })), message: { key: orderId, value: null } });
    const range = ranges.filter((entry) => entry.partition === partition);
    let records = 0;
    await readRange(kafka, topic, range, async ({ message, partition: at }) => {
      records += 1;
      if (message.key?.toString() !== orderId) return;
      const header = (name: string) => message.headers?.[name]?.toString();
      const traceId = /^[\da-f]{2}-([\da-f]{32})-/.exec(header('traceparent') ?? '')?.[1];
      let event: { type?: string; id?: string } = {};
      try {
        event = JSON.parse(message.value?.toString() ?? '{}') as typeof event;
      } catch {
        // Unreadable as JSON is often why it is here: its headers still say why.
      }
      found.push({
        topic,
        partition: at,
        offset: message.offset,
        reason: header(DLQ_HEADERS.errorClass) ?? 'unknown',
        message: header(DLQ_HEADERS.errorMessage) ?? '',
        ...(typeof event.type === 'string' ? { eventType: event.type } : {}),
        ...(typeof event.id === 'string' ? { eventId: event.id } : {}),
        ...(header(DLQ_HEADERS.originalTopic) ? { originalTopic: header(DLQ_HEADERS.originalTopic) } : {}),
        ...(header(DLQ_HEADERS.originalOffset) ? { originalOffset: header(DLQ_HEADERS.originalOffset) } : {}),
        ...(header(DLQ_HEADERS.deadLetteredAt) ? { deadLetteredAt: header(DLQ_HEADERS.deadLetteredAt) } : {}),
        ...(traceId ? { traceId } : {}),
      });
    });
    partitions.push({ topic, partition, records });
  }
  return { found: found.sort((a, b) => a.topic.localeCompare(b.topic) || Number(BigInt(a.offset) - BigInt(b.offset))), partitions };
}

export async function lookUpOrder(deps: { config: Config; client: Client; kafka: Kafka; admin: Admin }, orderId: string, sinceMs: number): Promise<OrderLookup | undefined> {
  const { config, client, kafka, admin } = deps;
  const [order, payment, dead] = await Promise.all([
    describe(client, orderWorkflowId(orderId), orderState),
    describe(client, paymentWorkflowId(orderId), (handle) => handle.query(paymentStatusQuery)),
    findDeadLetters(kafka, admin, [config.topics.orderEvents, config.topics.paymentEvents, config.topics.supportCommands], orderId, sinceMs),
  ]);
  if (!order && !payment && dead.found.length === 0) return undefined;
  const memo = order?.memo?.[TRACE_MEMO];
  // The order's trace is its first event's: the run's memo, or for an order with no run, its first dead letter's.
  const traceId = typeof memo === 'string' ? memo : order ? undefined : dead.found.find((letter) => letter.traceId)?.traceId;
  const published = order?.state?.published ?? [];
  const temporalUi = config.temporal.uiUrl;
  return {
    orderId,
    ...(order
      ? {
          order: {
            ...order.view,
            ...(order.state ? { stage: order.state.stage } : order.view.status === 'FAILED' ? { stage: 'failed' } : {}),
            events: order.state?.appliedEvents ?? [],
            ...(order.state?.risk ? { risk: order.state.risk } : {}),
            published,
            ...(published.some((record) => record.kind === 'fulfillment') ? { fulfillment: published.find((record) => record.kind === 'fulfillment') } : {}),
            ...(order.problem ? { problem: order.problem } : {}),
          },
        }
      : {}),
    ...(payment
      ? {
          payment: {
            ...payment.view,
            ...(payment.state ? { state: payment.state.status, events: payment.state.appliedEvents } : { events: [] }),
            ...(payment.state?.paymentId ? { paymentId: payment.state.paymentId } : {}),
            ...(payment.problem ? { problem: payment.problem } : {}),
          },
        }
      : {}),
    deadLetters: dead.found,
    deadLetterSearch: { since: new Date(sinceMs).toISOString(), partitions: dead.partitions },
    ...(traceId ? { traceId } : {}),
    links: {
      ...(traceId && config.traceViewerUrl ? { trace: config.traceViewerUrl.replace('{traceId}', traceId) } : {}),
      ...(order && temporalUi ? { temporal: `${temporalUi.replace(/\/$/, '')}/namespaces/${encodeURIComponent(config.temporal.namespace)}/workflows/${encodeURIComponent(order.view.workflowId)}/${order.view.runId}/history` } : {}),
    },
  };
}

const line = (label: string, value: string) => `  ${label.padEnd(12)} ${value}`.trimEnd();

/** One screen: the order, its payment, what it published, its dead letters, and where to look next. */
export function formatOrderLookup(found: OrderLookup): string {
  const out = [`order ${found.orderId}`];
  const { order, payment } = found;
  if (order) {
    out.push(line('workflow', `${order.workflowId} ${order.status}${order.stage ? `, stage ${order.stage}` : ''} (started ${order.started}${order.closed ? `, closed ${order.closed}` : ''})`));
    if (order.problem) out.push(line('', order.problem));
    out.push(line('events', order.events.length === 0 ? 'none' : ''));
    for (const event of order.events) out.push(`    ${(event.time ?? '(no time)').padEnd(24)}  ${event.type.padEnd(18)} ${event.eventId}`);
    if (order.risk) out.push(line('risk', `score ${order.risk.score} (${order.risk.level}), ${order.risk.decision}${order.risk.reviewer ? ` by ${order.risk.reviewer}` : ''}`));
    const statuses = order.published.filter((record) => record.kind === 'status');
    out.push(line('statuses', statuses.length === 0 ? 'none published' : ''));
    for (const record of statuses) out.push(`    ${record.time}  ${(record.status ?? '').padEnd(10)} ${record.topic}/${record.partition}@${record.offset}`);
    out.push(line('fulfilment', order.fulfillment ? `${order.fulfillment.fulfillmentId} at ${order.fulfillment.topic}/${order.fulfillment.partition}@${order.fulfillment.offset}` : 'not published'));
  } else {
    out.push(line('workflow', 'none: no event of this order reached Temporal'));
  }
  out.push(line('payment', payment ? `${payment.workflowId} ${payment.status}${payment.state ? `, ${payment.state}` : ''}${payment.paymentId ? ` (${payment.paymentId})` : ''}${payment.problem ? `; ${payment.problem}` : ''}` : 'no payment workflow'));
  const searched = found.deadLetterSearch.partitions.map((p) => `${p.topic}/${p.partition}`).join(', ');
  out.push(line('dead letters', `${found.deadLetters.length} (searched ${searched || 'no DLQ topic'} since ${found.deadLetterSearch.since})`));
  for (const dead of found.deadLetters) out.push(`    ${dead.topic}/${dead.partition}@${dead.offset}  ${dead.reason}: ${dead.message}${dead.eventType ? ` [${dead.eventType} ${dead.eventId ?? ''}]` : ''}`);
  out.push(line('trace', found.traceId ?? (order ? 'none recorded (tracing was off when the order started)' : 'none (no run, and no dead letter carried one)')));
  if (found.links.trace) out.push(line('', found.links.trace));
  if (found.links.temporal) out.push(line('temporal ui', found.links.temporal));
  return out.join('\n');
}

import { trace, type Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-node';

/** The attribute every span of an order carries, so a trace viewer finds all of an order's traces by it. */
export const ORDER_ID = 'order.id';

/** The order a workflow belongs to, from its id (`order-<id>`, `payment-<id>`: src/contract/workflows.ts). */
export function orderIdOfWorkflow(workflowId: unknown): string | undefined {
  if (typeof workflowId !== 'string') return undefined;
  const match = /^(?:order|payment)-(.+)$/.exec(workflowId);
  return match?.[1];
}

type Attributes = Readonly<Record<string, unknown>>;
const attributesOf = (span: unknown): Attributes | undefined => (span as { attributes?: Attributes } | undefined)?.attributes;

/** The order id a span's attributes name: its own, or its workflow's (Temporal's interceptors set `temporalWorkflowId`, the workflow sink `workflowId`). */
function orderIdIn(attributes: Attributes | undefined): string | undefined {
  if (!attributes) return undefined;
  const own = attributes[ORDER_ID];
  if (typeof own === 'string') return own;
  return orderIdOfWorkflow(attributes.temporalWorkflowId) ?? orderIdOfWorkflow(attributes.workflowId);
}

/**
 * Gives every span of an order `order.id`: a span inherits it from its parent in this process when it
 * starts, and one that learns its workflow only while running (an activity) gets it as it ends.
 */
export class OrderIdSpanProcessor implements SpanProcessor {
  private readonly next: SpanProcessor;

  constructor(next: SpanProcessor) {
    this.next = next;
  }

  onStart(span: Span, parentContext: Context): void {
    const orderId = orderIdIn(attributesOf(trace.getSpan(parentContext)));
    if (orderId !== undefined && span.attributes[ORDER_ID] === undefined) span.setAttribute(ORDER_ID, orderId);
    this.next.onStart(span, parentContext);
  }

  onEnding(span: Span): void {
    if (span.attributes[ORDER_ID] !== undefined) return;
    const orderId = orderIdIn(span.attributes);
    if (orderId !== undefined) span.setAttribute(ORDER_ID, orderId);
  }

  onEnd(span: ReadableSpan): void {
    // Spans from the workflows come through the sink, finished: they get it here.
    if (span.attributes[ORDER_ID] === undefined) {
      const orderId = orderIdIn(span.attributes);
      if (orderId !== undefined) (span.attributes as Record<string, unknown>)[ORDER_ID] = orderId;
    }
    this.next.onEnd(span);
  }

  forceFlush(): Promise<void> {
    return this.next.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.next.shutdown();
  }
}

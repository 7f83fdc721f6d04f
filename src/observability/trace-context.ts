import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Link, type Span, type SpanOptions, type TextMapGetter } from '@opentelemetry/api';
import type { IHeaders } from 'kafkajs';
import { ORDER_ID } from './order-spans.ts';

/** The trace id of the active span when it is sampled (exported): what a log line, a memo or an exemplar may point at. */
export function sampledTraceId(ctx: Context = context.active()): string | undefined {
  const span = trace.getSpanContext(ctx);
  return span && trace.isSpanContextValid(span) && (span.traceFlags & 1) === 1 ? span.traceId : undefined;
}

/** Spans this service makes itself: only where no instrumentation covers the work (Kafka with eachBatch, the Avro publish). */
export const tracer = () => trace.getTracer('oms');

const kafkaHeaders: TextMapGetter<IHeaders> = {
  keys: (headers) => Object.keys(headers),
  get: (headers, key) => {
    const value = headers[key];
    const first = Array.isArray(value) ? value[0] : value;
    return first === undefined ? undefined : first.toString();
  },
};

/** The trace context a Kafka record carries in its `traceparent`/`tracestate` headers (W3C), or none. */
export const contextFromHeaders = (headers: IHeaders | undefined): Context => propagation.extract(ROOT_CONTEXT, headers ?? {}, kafkaHeaders);

/** A link to the context a record carries, when it carries one. */
export function linkToHeaders(headers: IHeaders | undefined): Link[] {
  const spanContext = trace.getSpanContext(contextFromHeaders(headers));
  return spanContext ? [{ context: spanContext }] : [];
}

/** `traceparent` (and `tracestate`) for a record produced in `ctx`; empty when there is no recording or sampled-out span. */
export function traceHeaders(ctx: Context = context.active()): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return carrier;
}

/** Runs `fn` in a new active span, ending it with the outcome: an exception marks it as an error. */
export async function inSpan<T>(name: string, options: SpanOptions, parent: Context, fn: (span: Span) => Promise<T>): Promise<T> {
  return tracer().startActiveSpan(name, options, parent, async (span) => {
    try {
      return await fn(span);
    } catch (error) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      throw error;
    } finally {
      span.end();
    }
  });
}

/** Messaging semantic conventions for a Kafka record. */
export function kafkaAttributes(operation: 'send' | 'process', topic: string, extra: { partition?: number; offset?: string; key?: string; orderId?: string } = {}) {
  return {
    'messaging.system': 'kafka',
    'messaging.operation.type': operation,
    'messaging.operation.name': operation,
    'messaging.destination.name': topic,
    ...(extra.partition !== undefined ? { 'messaging.destination.partition.id': String(extra.partition) } : {}),
    ...(extra.offset !== undefined ? { 'messaging.kafka.offset': Number(extra.offset) } : {}),
    ...(extra.key !== undefined ? { 'messaging.kafka.message.key': extra.key } : {}),
    ...(extra.orderId !== undefined ? { [ORDER_ID]: extra.orderId } : {}),
  };
}

/** A producer span `send <topic>` around `send`, which gets the headers that carry it. */
export function sendInSpan<T>(topic: string, orderId: string | undefined, send: (headers: Record<string, string>) => Promise<T>, parent: Context = context.active()): Promise<T> {
  return inSpan(`send ${topic}`, { kind: SpanKind.PRODUCER, attributes: kafkaAttributes('send', topic, { orderId }) }, parent, () => send(traceHeaders()));
}

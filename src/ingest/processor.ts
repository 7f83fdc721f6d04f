import { ROOT_CONTEXT, SpanKind, type Span } from '@opentelemetry/api';
import type { Client } from '@temporalio/client';
import type { Producer } from 'kafkajs';
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeEvent, type InboundEvent } from '../event/envelope.ts';
import { EventProcessingError } from '../event/errors.ts';
import type { Logger } from '../observability/logger.ts';
import type { IngestMetrics } from '../observability/metrics.ts';
import { ORDER_ID } from '../observability/order-spans.ts';
import { contextFromHeaders, inSpan, kafkaAttributes, linkToHeaders } from '../observability/trace-context.ts';
import { routeEvent, type RouteMode, type RouterSettings } from '../router/routes.ts';
import { withReprocessContext } from '../signal/reprocess.ts';
import { classifyTemporalError, SIGNAL_DEADLINE_MS, signalWithStart } from '../signal/signal-with-start.ts';
import { sendToDeadLetter, type DeadLetterSource } from './dead-letter.ts';
import { backoffDelay, type RecoveryWatch } from './recovery-watch.ts';

/** For this long after Temporal comes back, signals get WARMING_DEADLINE_MS instead of the usual deadline. */
const RECOVERY_WINDOW_MS = 15_000;
const WARMING_DEADLINE_MS = 2_000;

export type ProcessOutcome =
  | { kind: 'signalled'; event: InboundEvent; workflowId: string; runId: string }
  | { kind: 'late'; event: InboundEvent; workflowId: string }
  | { kind: 'dead-lettered'; error: EventProcessingError }
  | { kind: 'rejected'; error: EventProcessingError };

export interface ProcessorOptions {
  temporal: Client;
  /** Needed unless `onPermanent` is 'report'. */
  producer?: Producer;
  router: RouterSettings;
  maxEventBytes: number;
  retry: { initialMs: number; maxMs: number };
  /** Cuts a backoff short once Temporal answers again; without it, backoffs run their full length. */
  recovery?: RecoveryWatch;
  logger: Logger;
  metrics: IngestMetrics;
  /** Ingest dead-letters a permanent failure; a re-drive or replay may only want it reported. */
  onPermanent: 'dead-letter' | 'report';
}

export interface ProcessCall {
  mode: RouteMode;
  /** Aborting stops retrying; the message is then left unprocessed (and uncommitted). */
  signal: AbortSignal;
  /** Told when a transient failure starts, and stops, holding this message. */
  onStall?: (stalled: boolean) => void;
  /**
   * Live ingest continues the trace the record carries; a replay or re-drive starts a trace of its own,
   * linked to it (the original event's trace has ended long ago).
   */
  trace?: 'continue' | 'link';
}

/**
 * One Kafka message through the data path: decode and validate (event), route (router),
 * signal-with-start (signal). Transient failures are retried with backoff until they succeed or
 * `signal` aborts; permanent ones are dead-lettered or reported. Used by live ingest, replay and re-drive.
 */
export class EventProcessor {
  private readonly options: ProcessorOptions;

  constructor(options: ProcessorOptions) {
    this.options = options;
  }

  async process(source: DeadLetterSource, call: ProcessCall): Promise<ProcessOutcome> {
    return this.traced(source, call, async (span) => {
      let event: InboundEvent;
      try {
        event = this.decode(source);
      } catch (error) {
        span.setAttribute('oms.dlq.reason', (error as EventProcessingError).reason);
        return this.permanentFailure(source, error as EventProcessingError, 'unknown', call);
      }
      return this.deliverIn(span, event, source, call);
    });
  }

  /**
   * One span per event, `process <topic>`, around decode, routing and signal-with-start; Temporal's
   * interceptor carries it on into the workflow. With eachBatch, no Kafka instrumentation makes it.
   */
  private traced(source: DeadLetterSource, call: ProcessCall, fn: (span: Span) => Promise<ProcessOutcome>): Promise<ProcessOutcome> {
    const headers = source.message.headers;
    const continued = (call.trace ?? 'continue') === 'continue';
    const key = source.message.key?.toString();
    const attributes = kafkaAttributes('process', source.topic, { partition: source.partition, offset: source.offset, key, orderId: key });
    return inSpan(
      `${continued ? 'process' : call.mode === 'reprocess' ? 'replay' : 'redrive'} ${source.topic}`,
      { kind: SpanKind.CONSUMER, attributes, links: continued ? [] : linkToHeaders(headers) },
      continued ? contextFromHeaders(headers) : ROOT_CONTEXT,
      async (span) => {
        const outcome = await fn(span);
        span.setAttribute('oms.outcome', outcome.kind);
        return outcome;
      },
    );
  }

  /** The event in a message, or a permanent EventProcessingError saying why there is none. */
  decode(source: DeadLetterSource): InboundEvent {
    try {
      const event = decodeEvent(source.message, this.options.maxEventBytes);
      this.options.metrics.consumed.inc({ topic: source.topic, type: event.type });
      return event;
    } catch (error) {
      this.options.metrics.consumed.inc({ topic: source.topic, type: 'unknown' });
      throw error;
    }
  }

  /** Routes a decoded event and signals its workflow. */
  async deliver(event: InboundEvent, source: DeadLetterSource, call: ProcessCall): Promise<ProcessOutcome> {
    return this.traced(source, call, (span) => this.deliverIn(span, event, source, call));
  }

  private async deliverIn(span: Span, event: InboundEvent, source: DeadLetterSource, call: ProcessCall): Promise<ProcessOutcome> {
    const { logger, metrics } = this.options;
    span.setAttributes({ [ORDER_ID]: event.subject, 'cloudevents.event_id': event.id, 'cloudevents.event_type': event.type });
    const command = routeEvent(event, this.options.router, call.mode);
    const context = { orderId: event.subject, eventId: event.id, eventType: event.type, workflowId: command.workflowId, topic: source.topic, partition: source.partition, offset: source.offset };

    try {
      const outcome = await this.retryTransient(source, call, async () => {
        const prepared = await withReprocessContext(this.options.temporal, command);
        const stopTimer = metrics.signalLatency.startTimer({ type: event.type });
        try {
          // Just after Temporal came back, a call can wait on a server still warming up; a short deadline
          // retries it soon instead of holding its partition for the full deadline.
          const warming = this.options.recovery?.recentlyRecovered(RECOVERY_WINDOW_MS) ?? false;
          return await signalWithStart(this.options.temporal, prepared, call.signal, warming ? WARMING_DEADLINE_MS : SIGNAL_DEADLINE_MS);
        } finally {
          stopTimer();
        }
      });
      if (outcome.kind === 'late') {
        metrics.late.inc({ topic: source.topic, type: event.type });
        logger.warn(context, 'late event for a closed workflow: recorded, not re-run');
        return { kind: 'late', event, workflowId: command.workflowId };
      }
      metrics.signalled.inc({ topic: source.topic, type: event.type });
      logger.debug({ ...context, runId: outcome.runId }, 'signalled');
      return { kind: 'signalled', event, workflowId: command.workflowId, runId: outcome.runId };
    } catch (error) {
      if (error instanceof EventProcessingError && !error.retriable) return this.permanentFailure(source, error, event.type, call, context);
      throw error;
    }
  }

  private async permanentFailure(
    source: DeadLetterSource,
    error: EventProcessingError,
    type: string,
    call: ProcessCall,
    context: object = { topic: source.topic, partition: source.partition, offset: source.offset },
  ): Promise<ProcessOutcome> {
    if (this.options.onPermanent === 'report') return { kind: 'rejected', error };
    const producer = this.options.producer;
    if (!producer) throw new Error('EventProcessor: onPermanent is dead-letter, but no producer was given');
    await this.retryTransient(source, call, async () => {
      try {
        await sendToDeadLetter(producer, source, error);
      } catch (cause) {
        throw EventProcessingError.transient('dead-letter-unavailable', `could not write to the DLQ: ${(cause as Error).message}`, { cause });
      }
    });
    this.options.metrics.deadLettered.inc({ topic: source.topic, type, reason: error.reason });
    this.options.logger.warn({ ...context, reason: error.reason, error: error.message }, 'dead-lettered');
    return { kind: 'dead-lettered', error };
  }

  /** Retries transient failures with exponential backoff, forever or until aborted; permanent ones pass straight through. */
  private async retryTransient<T>(source: DeadLetterSource, call: ProcessCall, attempt: () => Promise<T>): Promise<T> {
    let stalled = false;
    try {
      for (let attemptNumber = 1; ; attemptNumber += 1) {
        call.signal.throwIfAborted();
        try {
          return await attempt();
        } catch (error) {
          const classified = classifyTemporalError(error);
          if (!classified.retriable) throw classified;
          call.signal.throwIfAborted();
          // A failure soon after an outage ended is the server warming up, not the outage going on: a short backoff.
          const afterOutage = this.options.recovery?.recentlyRecovered(RECOVERY_WINDOW_MS) ?? false;
          const retryInMs = Math.round(backoffDelay(afterOutage ? 1 : attemptNumber, this.options.retry));
          this.options.metrics.transientFailures.inc({ topic: source.topic, reason: classified.reason });
          this.options.logger.warn(
            { topic: source.topic, partition: source.partition, offset: source.offset, reason: classified.reason, attemptNumber, retryInMs, error: classified.message },
            'transient failure: holding the partition and retrying',
          );
          if (!stalled) call.onStall?.((stalled = true));
          const waited = await (this.options.recovery ? this.options.recovery.wait(retryInMs, call.signal) : sleep(retryInMs, undefined, { signal: call.signal }));
          // Back from an outage: a failure now is a new one, with a short backoff, not the outage's long one.
          if (waited === 'recovered') attemptNumber = 0;
        }
      }
    } finally {
      if (stalled) call.onStall?.(false);
    }
  }
}

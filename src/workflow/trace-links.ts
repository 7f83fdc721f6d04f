import { ROOT_CONTEXT, trace, type SpanContext } from '@opentelemetry/api';
import type { Next, SignalInput, WorkflowExecuteInput, WorkflowInboundCallsInterceptor, WorkflowInterceptors } from '@temporalio/workflow';

/**
 * Joins an order's traces (bundled after Temporal's OpenTelemetry interceptors, only when tracing is on).
 * An order's trace is its first event's: the one whose signal-with-start began the run. A later event
 * (a payment, a correction, a review) has a trace of its own; where its signal is handled, the two are
 * linked both ways: the signal's span links to the run's, and the run's trace gets an `event <signal>`
 * span linking to the signal's. Zipkin keeps no links, so each also names the other trace's id.
 * Spans make no commands and take their ids from a random stream of their own: replay is unaffected.
 */
class TraceLinks implements WorkflowInboundCallsInterceptor {
  private run: SpanContext | undefined;

  async execute(input: WorkflowExecuteInput, next: Next<WorkflowInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    this.run = trace.getActiveSpan()?.spanContext();
    return next(input);
  }

  async handleSignal(input: SignalInput, next: Next<WorkflowInboundCallsInterceptor, 'handleSignal'>): Promise<void> {
    const signalSpan = trace.getActiveSpan();
    const signal = signalSpan?.spanContext();
    const run = this.run;
    if (run && signal && signal.traceId !== run.traceId) {
      signalSpan!.addLink({ context: run, attributes: { 'oms.link': 'order trace' } });
      signalSpan!.setAttribute('oms.order.trace_id', run.traceId);
      trace
        .getTracer('oms-workflow')
        .startSpan(`event ${input.signalName}`, { links: [{ context: signal, attributes: { 'oms.link': 'event trace' } }], attributes: { 'oms.event.trace_id': signal.traceId } }, trace.setSpanContext(ROOT_CONTEXT, run))
        .end();
    }
    return next(input);
  }
}

export const interceptors = (): WorkflowInterceptors => ({ inbound: [new TraceLinks()] });

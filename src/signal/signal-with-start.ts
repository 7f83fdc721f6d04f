import { isGrpcServiceError, WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { EventProcessingError } from '../event/errors.ts';
import type { SignalWithStartCommand } from '../router/routes.ts';
import { linkedAbort } from './linked-abort.ts';
import { sampledTraceId } from '../observability/trace-context.ts';
import { TRACE_MEMO } from '../contract/workflows.ts';

/**
 * Idempotency scheme, in one place:
 *
 * - Workflow id: `order-<orderId>` or `payment-<orderId>`, derived from the order id alone. Every
 *   event of an order, from any topic and in any order, reaches the same workflow. Signal-with-start
 *   with workflowIdConflictPolicy USE_EXISTING signals the running workflow or starts it, so a payment
 *   that arrives before its order needs no buffering outside Temporal.
 * - Event id: the CloudEvents `id` travels in every signal as `eventId`. Each workflow keeps the ids
 *   it has applied and ignores a repeat. Kafka redelivery (offsets are committed only after Temporal
 *   accepted the signal, so a crash re-sends), producer retries and replays are harmless to a
 *   running workflow.
 * - Closed workflows: in live mode the reuse policy is REJECT_DUPLICATE, so a late event for a
 *   finished order is refused by the server. We record it as late (log and metric) and commit it;
 *   the order is not run again. Reprocess mode (order.reprocess, `oms replay`) uses ALLOW_DUPLICATE,
 *   which starts a new run of a closed workflow.
 */
export type SignalOutcome = { kind: 'accepted'; runId: string } | { kind: 'late' };

/** A stuck call must surface as a retriable failure, not hold the partition silently. */
export const SIGNAL_DEADLINE_MS = 10_000;

// Only a request the server calls malformed can never succeed; everything else (unavailable,
// overloaded, auth or namespace trouble) is the environment's fault and must not empty the topic into the DLQ.
const PERMANENT_GRPC_CODES = new Set<number>([GrpcStatus.INVALID_ARGUMENT]);

/** `signal` abandons the call (shutdown): its outcome is then unknown, so the caller must not count it as accepted. */
export async function signalWithStart(client: Client, command: SignalWithStartCommand, signal?: AbortSignal, deadlineMs = SIGNAL_DEADLINE_MS): Promise<SignalOutcome> {
  // Kept only by the call that starts the run: the order's trace is its first event's.
  const traceId = sampledTraceId();
  const call = () =>
    client.connection.withDeadline(Date.now() + deadlineMs, () =>
      client.workflow.signalWithStart(command.workflowType, {
        workflowId: command.workflowId,
        taskQueue: command.taskQueue,
        args: command.workflowArgs,
        signal: command.signalName,
        signalArgs: command.signalArgs,
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: command.reprocess ? 'ALLOW_DUPLICATE' : 'REJECT_DUPLICATE',
        ...(traceId ? { memo: { [TRACE_MEMO]: traceId } } : {}),
      }),
    );
  const perCall = signal ? linkedAbort(signal) : undefined;
  try {
    const handle = await (perCall ? client.withAbortSignal(perCall.signal, call) : call());
    return { kind: 'accepted', runId: handle.signaledRunId };
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError && !command.reprocess) return { kind: 'late' };
    throw classifyTemporalError(error);
  } finally {
    perCall?.release();
  }
}

export function classifyTemporalError(error: unknown): EventProcessingError {
  if (error instanceof EventProcessingError) return error;
  const message = (error as Error)?.message ?? String(error);
  if (isGrpcServiceError(error)) {
    if (PERMANENT_GRPC_CODES.has(error.code)) {
      return EventProcessingError.permanent('rejected-by-temporal', `Temporal rejected the signal: ${message}`, { cause: error });
    }
    if (error.code === GrpcStatus.DEADLINE_EXCEEDED) {
      return EventProcessingError.transient('deadline-exceeded', `Temporal did not answer in time: ${message}`, { cause: error });
    }
    return EventProcessingError.transient('temporal-unavailable', `Temporal is unavailable: ${message}`, { cause: error });
  }
  return EventProcessingError.transient('unexpected', `signal-with-start failed: ${message}`, { cause: error });
}

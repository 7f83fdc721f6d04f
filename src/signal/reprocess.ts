import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { SignalWithStartCommand } from '../router/routes.ts';
import { ORDER_WORKFLOW, type OrderStatus, type OrderWorkflowInput, type ReprocessOf } from '../contract/workflows.ts';

/**
 * Reprocess mode for the order workflow: a running order just gets the signal (and deduplicates
 * it by event id); a closed one is run again, and the new run is told what it replaces, the earlier
 * run's fulfillment id and payment decision. Those come from the earlier run's result (its final
 * status), which the server reads from history; a query would make a worker replay the whole run.
 */
export async function withReprocessContext(client: Client, command: SignalWithStartCommand): Promise<SignalWithStartCommand> {
  if (!command.reprocess || command.workflowType !== ORDER_WORKFLOW) return command;
  const handle = client.workflow.getHandle(command.workflowId);
  let runId: string;
  try {
    const description = await handle.describe();
    if (description.status.name === 'RUNNING') return command;
    runId = description.runId;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return command;
    throw error;
  }
  // A failed run has no result: the new run then starts without the earlier one's decisions.
  const earlier = await client.workflow.result<() => Promise<OrderStatus>>(command.workflowId, runId).catch((): OrderStatus | undefined => undefined);
  const reprocessOf: ReprocessOf = {
    runId,
    fulfillmentId: earlier?.fulfillmentId,
    ...(earlier?.payment.status === 'validated' && earlier.payment.paymentId && earlier.payment.reference
      ? { payment: { paymentId: earlier.payment.paymentId, reference: earlier.payment.reference } }
      : {}),
  };
  const [input] = command.workflowArgs as [OrderWorkflowInput];
  return { ...command, workflowArgs: [{ ...input, reprocessOf }] };
}

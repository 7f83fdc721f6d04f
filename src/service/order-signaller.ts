import type { Client } from '@temporalio/client';
import type { OrderSignaller } from '../activity/payment/activities.ts';
import type { RouterSettings } from '../router/routes.ts';
import { signalWithStart } from '../signal/signal-with-start.ts';
import { ORDER_WORKFLOW, orderWorkflowId } from '../contract/workflows.ts';

/**
 * The payment activities' way to the order workflow: the same signal-with-start as ingest's, so the
 * order workflow applies the result once by its event id, and starts if the order has not arrived.
 */
export function orderSignaller(temporal: Client, router: RouterSettings): OrderSignaller {
  return async (orderId, signal) => {
    const outcome = await signalWithStart(temporal, {
      workflowType: ORDER_WORKFLOW,
      workflowId: orderWorkflowId(orderId),
      taskQueue: router.taskQueue,
      workflowArgs: [{ orderId, settings: router.order }],
      signalName: signal.name,
      signalArgs: [signal.arg],
      reprocess: false,
      orderId,
      eventId: signal.arg.eventId,
      eventType: 'payment.authorized',
    });
    return outcome.kind;
  };
}

import { ActivityFailure, ApplicationFailure, CancellationScope, proxyActivities, proxyLocalActivities, sleep, TemporalFailure, type ActivityInterfaceFor } from '@temporalio/workflow';
import type { FulfillmentActivities } from '../activity/fulfillment/activities.ts';
import type { NotificationActivities } from '../activity/notification/activities.ts';
import type { PaymentActivities } from '../activity/payment/activities.ts';
import type { RiskActivities } from '../activity/risk/activities.ts';
import type { StorefrontActivities } from '../activity/storefront/activities.ts';
import { CHANGE_DEFAULTS, LOCAL_GROUPS_ACTIVITY, NOT_HOSTED, type ActivityGroup, type ActivityTaskQueues } from '../contract/workflows.ts';

/** Activity calls of both workflows retry until they succeed unless the activity says the failure is permanent. */
export const ACTIVITY_OPTIONS = { startToCloseTimeout: '30 seconds', retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' } } as const;

/** A local activity's failure comes as the activity's own failure, a remote one's wrapped in an ActivityFailure. */
const notHosted = (error: unknown) => {
  const failure = error instanceof ActivityFailure ? error.cause : error;
  return failure instanceof ApplicationFailure && failure.type === NOT_HOSTED;
};

/**
 * v4: the groups this run calls as local activities, as the workflow's worker answers. Asked once;
 * the answer is a marker, so a replay on a worker that hosts other groups takes the same path.
 */
export async function localGroups(): Promise<readonly ActivityGroup[]> {
  const probe = proxyLocalActivities<Record<typeof LOCAL_GROUPS_ACTIVITY, () => Promise<ActivityGroup[]>>>({ startToCloseTimeout: '5 seconds', retry: { maximumAttempts: 1 } });
  // Only a failure the history records may be caught: the SDK refuses an unregistered local activity
  // before scheduling it, and not on replay, so that refusal must fail the workflow task instead.
  return probe[LOCAL_GROUPS_ACTIVITY]().catch((error: unknown) => {
    if (error instanceof TemporalFailure) return [];
    throw error;
  });
}

/**
 * One group's activities: on its task queue, or as local activities when the run's worker hosts the
 * group. A local call answered NOT_HOSTED (the run moved, mid-run, to a worker without the group) is
 * made on the task queue instead, and so is every later call of the group in the run.
 */
function activityGroup<A extends object>(taskQueue: string, local: boolean): ActivityInterfaceFor<A> {
  const remote = proxyActivities<A>({ taskQueue, ...ACTIVITY_OPTIONS });
  if (!local) return remote;
  type Calls = Record<string, (...args: unknown[]) => Promise<unknown>>;
  const near = proxyLocalActivities<A>(ACTIVITY_OPTIONS) as unknown as Calls;
  const far = remote as unknown as Calls;
  let hosted = true;
  const call = (name: string) => async (...args: unknown[]) => {
    if (!hosted) return far[name]!(...args);
    try {
      return await near[name]!(...args);
    } catch (error) {
      if (!notHosted(error)) throw error;
      hosted = false;
      return far[name]!(...args);
    }
  };
  return new Proxy(remote, { get: (_target, name) => (typeof name === 'string' ? call(name) : undefined) });
}

/**
 * v4: a local activity's result is kept only once the workflow task that ran it completes, and the
 * server refuses a task that closes the run while a signal waits (one came in meanwhile): that task is
 * dropped, replayed, and its local activities run again (a second fulfilment message, a second email).
 * So a run that calls groups locally closes in a task of its own, after a 1 ms timer.
 */
export async function closeAfterLocalSteps(local: readonly ActivityGroup[]): Promise<void> {
  if (local.length > 0) await CancellationScope.nonCancellable(() => sleep(1));
}

/** The order workflow's activities, each group on the task queue its input names, or local (v4). */
export function orderActivities(queues: ActivityTaskQueues, local: readonly ActivityGroup[] = []) {
  return {
    storefront: activityGroup<StorefrontActivities>(queues.storefront, local.includes('storefront')),
    payment: paymentActivities(queues.payment, local),
    fulfillment: activityGroup<FulfillmentActivities>(queues.fulfillment, local.includes('fulfillment')),
    notification: activityGroup<NotificationActivities>(queues.notification, local.includes('notification')),
    risk: activityGroup<RiskActivities>(queues.risk ?? CHANGE_DEFAULTS.riskTaskQueue, local.includes('risk')),
  };
}

export const paymentActivities = (taskQueue: string, local: readonly ActivityGroup[] = []) => activityGroup<PaymentActivities>(taskQueue, local.includes('payment'));

export type OrderActivities = ReturnType<typeof orderActivities>;

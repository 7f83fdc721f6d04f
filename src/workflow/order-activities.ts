import { proxyActivities } from '@temporalio/workflow';
import type { FulfillmentActivities } from '../activity/fulfillment/activities.ts';
import type { NotificationActivities } from '../activity/notification/activities.ts';
import type { PaymentActivities } from '../activity/payment/activities.ts';
import type { RiskActivities } from '../activity/risk/activities.ts';
import type { StorefrontActivities } from '../activity/storefront/activities.ts';
import { CHANGE_DEFAULTS, type ActivityTaskQueues } from '../contract/workflows.ts';

/** Activity calls of both workflows retry until they succeed unless the activity says the failure is permanent. */
export const ACTIVITY_OPTIONS = { startToCloseTimeout: '30 seconds', retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' } } as const;

/** The order workflow's activities, each group on the task queue its input names. */
export function orderActivities(queues: ActivityTaskQueues) {
  return {
    storefront: proxyActivities<StorefrontActivities>({ taskQueue: queues.storefront, ...ACTIVITY_OPTIONS }),
    payment: proxyActivities<PaymentActivities>({ taskQueue: queues.payment, ...ACTIVITY_OPTIONS }),
    fulfillment: proxyActivities<FulfillmentActivities>({ taskQueue: queues.fulfillment, ...ACTIVITY_OPTIONS }),
    notification: proxyActivities<NotificationActivities>({ taskQueue: queues.notification, ...ACTIVITY_OPTIONS }),
    risk: proxyActivities<RiskActivities>({ taskQueue: queues.risk ?? CHANGE_DEFAULTS.riskTaskQueue, ...ACTIVITY_OPTIONS }),
  };
}

export type OrderActivities = ReturnType<typeof orderActivities>;

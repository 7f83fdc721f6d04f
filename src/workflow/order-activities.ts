import { proxyActivities } from '@temporalio/workflow';
import type { FulfillmentActivities } from '../activity/fulfillment/activities.ts';
import type { NotificationActivities } from '../activity/notification/activities.ts';
import type { PaymentActivities } from '../activity/payment/activities.ts';
import type { RiskActivities } from '../activity/risk/activities.ts';
import type { StorefrontActivities } from '../activity/storefront/activities.ts';
import { CHANGE_DEFAULTS, type ActivityTaskQueues } from '../contract/workflows.ts';

/** Storefront and publishing calls retry until they succeed unless the activity says the failure is permanent. */
const retry = { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' };

/** The order workflow's activities, each group on the task queue its input names. */
export function orderActivities(queues: ActivityTaskQueues) {
  const options = { startToCloseTimeout: '30 seconds', retry } as const;
  return {
    storefront: proxyActivities<StorefrontActivities>({ taskQueue: queues.storefront, ...options }),
    payment: proxyActivities<PaymentActivities>({ taskQueue: queues.payment, ...options }),
    fulfillment: proxyActivities<FulfillmentActivities>({ taskQueue: queues.fulfillment, ...options }),
    notification: proxyActivities<NotificationActivities>({ taskQueue: queues.notification, ...options }),
    risk: proxyActivities<RiskActivities>({ taskQueue: queues.risk ?? CHANGE_DEFAULTS.riskTaskQueue, ...options }),
  };
}

export type OrderActivities = ReturnType<typeof orderActivities>;

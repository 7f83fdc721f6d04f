import { activityLog } from '../log.ts';
import { expectOk, httpRequest, jsonBody } from '../http.ts';
import type { RequestBudget } from '../storefront/limiter.ts';

/**
 * Customer notifications go through the commerce app's notification endpoint, which owns templates
 * and contact details. When that endpoint is the commerce app's own, `budget` is the storefront's
 * limiter: the app's rate limit counts every request, notifications included.
 */
export function createNotificationActivities(deps: { baseUrl: string; budget?: RequestBudget }) {
  const baseUrl = deps.baseUrl.replace(/\/$/, '');
  const send = (request: () => Promise<Response>) => (deps.budget ? deps.budget.schedule(request) : request());
  return {
    async notifyCustomer(input: { orderId: string; fulfillmentId: string; template: string }): Promise<void> {
      // One notification per processing run: the receiver drops a retried one by this key.
      const response = await send(() => httpRequest(`${baseUrl}/notifications`, jsonBody({ ...input, idempotencyKey: `${input.fulfillmentId}:${input.template}` })));
      await expectOk(response, `notify customer of ${input.orderId}`);
      activityLog.debug('customer notified', { orderId: input.orderId, template: input.template });
    },
  };
}

export type NotificationActivities = ReturnType<typeof createNotificationActivities>;

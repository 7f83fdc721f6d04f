import { expectOk, httpRequest, jsonBody } from '../http.ts';

/** Customer notifications go through the commerce app's notification endpoint, which owns templates and contact details. */
export function createNotificationActivities(deps: { baseUrl: string }) {
  const baseUrl = deps.baseUrl.replace(/\/$/, '');
  return {
    async notifyCustomer(input: { orderId: string; fulfillmentId: string; template: string }): Promise<void> {
      // One notification per processing run: the receiver drops a retried one by this key.
      const response = await httpRequest(`${baseUrl}/notifications`, jsonBody({ ...input, idempotencyKey: `${input.fulfillmentId}:${input.template}` }));
      await expectOk(response, `notify customer of ${input.orderId}`);
    },
  };
}

export type NotificationActivities = ReturnType<typeof createNotificationActivities>;

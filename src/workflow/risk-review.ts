import { CHANGE_DEFAULTS } from '../contract/workflows.ts';
import type { OrderActivities } from './order-activities.ts';
import { OrderAbandoned, type OrderRun } from './order-run.ts';

/**
 * v2: the order is scored after payment, so a rejected order has its payment voided. A high score
 * holds it (IN_REVIEW) until support approves or rejects it (order.review), or the review window closes.
 */
export async function checkRisk(run: OrderRun, activities: OrderActivities, customerId: string, reviewTimeoutMs = CHANGE_DEFAULTS.reviewTimeoutMs): Promise<void> {
  const { orderId, status } = run;
  run.throwIfCancelled();
  run.enter('assessing-risk');
  const verdict = await run.interruptible(() => activities.risk.assessOrderRisk({ orderId, customerId }));
  status.risk = { ...verdict, decision: 'passed' };
  if (verdict.level === 'low') {
    run.record('risk', 'ok', `score ${verdict.score}`);
    return;
  }
  run.record('risk', 'info', `score ${verdict.score}: held for review`);
  run.enter('awaiting-review');
  run.wrote(await activities.fulfillment.publishOrderStatus({ orderId, status: 'IN_REVIEW', reasons: verdict.reasons, risk: status.risk }));
  const decided = await run.waiting(() => run.review !== undefined, reviewTimeoutMs);
  run.throwIfCancelled();
  const review = run.review;
  if (!decided || !review) {
    status.risk = { ...status.risk, decision: 'review-timed-out' };
    throw new OrderAbandoned('risk review not decided in time');
  }
  const by = review.reviewer ? ` by ${review.reviewer}` : '';
  status.risk = { ...status.risk, decision: review.decision === 'approve' ? 'approved' : 'rejected', ...(review.reviewer ? { reviewer: review.reviewer } : {}) };
  if (review.decision === 'reject') throw new OrderAbandoned(`rejected in risk review${by}${review.note ? `: ${review.note}` : ''}`);
  run.record('review', 'ok', `approved${by}`);
}

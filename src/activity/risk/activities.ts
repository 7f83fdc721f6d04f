import { activityLog } from '../log.ts';
import type { RiskServiceClient } from './client.ts';

export interface RiskActivityDeps {
  client: RiskServiceClient;
  /** Scores at or above this wait for a support decision (RISK_REVIEW_SCORE). */
  reviewScore: number;
}

export interface RiskVerdict {
  score: number;
  level: 'low' | 'high';
  reasons: string[];
}

export function createRiskActivities(deps: RiskActivityDeps) {
  return {
    /** The level is decided here, not in the workflow: the threshold is configuration, changed without a new workflow version. */
    async assessOrderRisk(input: { orderId: string; customerId: string }): Promise<RiskVerdict> {
      const { score, reasons } = await deps.client.assess(input);
      const level = score >= deps.reviewScore ? 'high' : 'low';
      activityLog.debug('risk assessed', { orderId: input.orderId, score, level });
      return { score, level, reasons };
    },
  };
}

export type RiskActivities = ReturnType<typeof createRiskActivities>;

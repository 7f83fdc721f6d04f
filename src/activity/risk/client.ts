import { expectOk, httpRequest, jsonBody } from '../http.ts';

/** What the risk service says of an order: a score from 0 (no risk) to 100, and why. */
export interface RiskAssessment {
  assessmentId: string;
  orderId: string;
  score: number;
  reasons: string[];
}

/** The risk service's HTTP API: one assessment per order, idempotent on the order id. */
export class RiskServiceClient {
  private readonly baseUrl: string;

  constructor(baseUrl: string) {
    this.baseUrl = baseUrl.replace(/\/$/, '');
  }

  async assess(input: { orderId: string; customerId: string }): Promise<RiskAssessment> {
    const response = await httpRequest(`${this.baseUrl}/assessments`, jsonBody(input));
    return (await (await expectOk(response, `risk assessment of ${input.orderId}`)).json()) as RiskAssessment;
  }
}

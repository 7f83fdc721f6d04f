import { createHash } from 'node:crypto';
import { faultInjection } from './faults.ts';
import { serveJson, type RunningStandin, type StandinReply, type StandinRequest } from './http-server.ts';

/**
 * Seeded scores: an order whose id has a `RISK` part (ORD-…-RISK-…) scores 92, any other 1-40 from
 * its id. Tests and the demo pick high-risk orders by name, and no other order ever waits for review.
 */
function seededRiskScore(orderId: string): { score: number; reasons: string[] } {
  if (/(^|-)RISK(-|$)/.test(orderId)) return { score: 92, reasons: ['new customer', 'shipping address differs from billing'] };
  return { score: 1 + (createHash('sha256').update(orderId).digest().readUInt8(0) % 40), reasons: [] };
}

/**
 * A stand-in for the risk service: POST /assessments scores an order (the same answer for the same
 * order every time), PUT /scores/<orderId> sets an order's score, and /_faults injects failures
 * like the storefront's.
 */
export async function startRiskServiceStandin(options: { port?: number; host?: string } = {}): Promise<RunningStandin> {
  const scores = new Map<string, { score: number; reasons: string[] }>();
  const faults = faultInjection();

  function api({ method, path, body }: StandinRequest): StandinReply {
    const [resource, id] = path;
    if (resource === 'scores' && id && method === 'PUT') {
      const input = body as { score?: unknown; reasons?: unknown } | null;
      if (typeof input?.score !== 'number' || input.score < 0 || input.score > 100) return { status: 400, body: { error: 'score: a number from 0 to 100' } };
      scores.set(id, { score: input.score, reasons: Array.isArray(input.reasons) ? input.reasons.map(String) : [] });
      return { status: 200, body: scores.get(id) };
    }
    if (resource === 'assessments' && !id && method === 'POST') {
      const input = body as { orderId?: unknown; customerId?: unknown } | null;
      if (typeof input?.orderId !== 'string' || typeof input.customerId !== 'string') return { status: 400, body: { error: 'an assessment needs orderId and customerId' } };
      const { score, reasons } = scores.get(input.orderId) ?? seededRiskScore(input.orderId);
      return { status: 200, body: { assessmentId: `risk-${input.orderId}`, orderId: input.orderId, score, reasons } };
    }
    return { status: 404, body: { error: 'no route' } };
  }

  return serveJson(options.port ?? 0, (request) => {
    const [resource] = request.path;
    if (resource === '_faults') return faults.route(request);
    return faults.apply(request, api);
  }, options.host);
}

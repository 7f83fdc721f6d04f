/** Reading traces back from the stack's Zipkin (its v2 API), as a person would find them in its UI. */
export interface ZipkinSpan {
  traceId: string;
  id: string;
  parentId?: string;
  name: string;
  kind?: 'CLIENT' | 'SERVER' | 'PRODUCER' | 'CONSUMER';
  timestamp: number;
  duration?: number;
  localEndpoint?: { serviceName?: string };
  tags?: Record<string, string>;
  annotations?: { timestamp: number; value: string }[];
}

export type ZipkinTrace = ZipkinSpan[];

/** Every trace holding a span tagged `order.id=<orderId>`, in the last hour. */
export async function tracesOfOrder(zipkinUrl: string, orderId: string): Promise<ZipkinTrace[]> {
  const query = new URLSearchParams({ annotationQuery: `order.id=${orderId}`, lookback: '3600000', limit: '100' });
  const response = await fetch(`${zipkinUrl}/api/v2/traces?${query.toString()}`, { signal: AbortSignal.timeout(5_000) });
  if (!response.ok) throw new Error(`Zipkin answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as ZipkinTrace[];
}

export async function traceById(zipkinUrl: string, traceId: string): Promise<ZipkinTrace> {
  const response = await fetch(`${zipkinUrl}/api/v2/trace/${traceId}`, { signal: AbortSignal.timeout(5_000) });
  return response.status === 404 ? [] : ((await response.json()) as ZipkinTrace);
}

/** The first span named `name` (Zipkin lowercases names), or undefined. */
export const spanNamed = (trace: ZipkinTrace, name: string) => trace.find((span) => span.name === name.toLowerCase());

/** The names from `span` up to the trace's root. */
export function ancestry(trace: ZipkinTrace, span: ZipkinSpan): string[] {
  const byId = new Map(trace.map((each) => [each.id, each]));
  const names: string[] = [];
  for (let at: ZipkinSpan | undefined = span; at; at = at.parentId ? byId.get(at.parentId) : undefined) names.push(at.name);
  return names.reverse();
}

import { ApplicationFailure } from '@temporalio/common';

/**
 * HTTP failures as Temporal sees them, so the activity retry policy does the retrying:
 *   429 with Retry-After: retry no sooner than the server asked (`nextRetryDelay`);
 *   408, 5xx, network errors and timeouts: retryable;
 *   any other 4xx: the request can't succeed as it is, so non-retryable.
 * Callers handle the statuses that are business answers (404 for a missing order, 409 for no stock) first.
 */
export async function httpRequest(url: string, init: RequestInit & { timeoutMs?: number } = {}): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, { ...init, signal: AbortSignal.timeout(init.timeoutMs ?? 10_000) });
  } catch (error) {
    throw ApplicationFailure.retryable(`${init.method ?? 'GET'} ${url}: ${(error as Error).message}`, 'HttpNetworkError');
  }
  if (response.status === 429) {
    throw ApplicationFailure.create({
      message: `${init.method ?? 'GET'} ${url}: rate limited (429)`,
      type: 'HttpRateLimited',
      nextRetryDelay: retryAfterMs(response.headers.get('retry-after')),
    });
  }
  if (response.status === 408 || response.status >= 500) {
    throw ApplicationFailure.retryable(`${init.method ?? 'GET'} ${url}: ${response.status} ${await response.text()}`, 'HttpServerError');
  }
  return response;
}

export async function expectOk(response: Response, what: string): Promise<Response> {
  if (response.ok) return response;
  throw ApplicationFailure.nonRetryable(`${what}: ${response.status} ${await response.text()}`, 'HttpClientError');
}

/** Retry-After is either delay-seconds or an HTTP date (RFC 9110); default to one second. */
export function retryAfterMs(header: string | null): number {
  if (header === null) return 1_000;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1_000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? 1_000 : Math.max(0, date - Date.now());
}

export const jsonBody = (body: unknown): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

/**
 * Node loads and compiles its fetch implementation on the first call, which makes that call tens of
 * milliseconds late: enough, at a low rate, for the request after it to arrive too close. A fetch of
 * a data: URL does that work up front without a request.
 */
export async function warmUpHttp(): Promise<void> {
  await fetch('data:,');
}

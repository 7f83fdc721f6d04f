import { Redis } from 'ioredis';

/** How long a Redis command may take before the caller goes on without it. */
const ANSWER_MS = 1_000;

/**
 * A Redis client for a role's shared state, answering at start or stopping it with one line naming
 * the variable. Commands fail fast instead of queueing while Redis is away: what uses it decides
 * whether to go on without (the gateway's rate limit does).
 */
export async function connectRedis(url: string, variable: string): Promise<Redis> {
  let answered = false;
  // No retries before the first answer, so a wrong address is reported as what it is (ECONNREFUSED...).
  const retryStrategy = (attempt: number) => (answered ? Math.min(attempt * 200, 2_000) : null);
  const client = new Redis(url, { maxRetriesPerRequest: 1, commandTimeout: ANSWER_MS, connectTimeout: ANSWER_MS, enableOfflineQueue: false, lazyConnect: true, retryStrategy });
  // ioredis rejects connect() with "Connection is closed."; the cause is in the error event before it.
  let lastError: (Error & { code?: string }) | undefined;
  client.on('error', (error: Error) => (lastError = error));
  try {
    await client.connect();
    await client.ping();
    answered = true;
    return client;
  } catch (error) {
    client.disconnect();
    const reason = lastError?.code ?? lastError?.message ?? (error as Error).message;
    throw new Error(`${variable}: Redis at ${new URL(url).host} does not answer: ${reason}`, { cause: error });
  }
}

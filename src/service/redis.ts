import { Redis } from 'ioredis';

/** How long a Redis command may take before the caller goes on without it. */
const ANSWER_MS = 1_000;

/**
 * A Redis client for a role's shared state, answering at start or stopping it with one line naming
 * the variable. Commands fail fast instead of queueing while Redis is away: what uses it decides
 * whether to go on without (the gateway's rate limit does).
 */
export async function connectRedis(url: string, variable: string): Promise<Redis> {
  const client = new Redis(url, { maxRetriesPerRequest: 1, commandTimeout: ANSWER_MS, connectTimeout: ANSWER_MS, enableOfflineQueue: false, lazyConnect: true });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
    return client;
  } catch (error) {
    client.disconnect();
    throw new Error(`${variable}: Redis at ${new URL(url).host} does not answer: ${(error as Error).message}`, { cause: error });
  }
}

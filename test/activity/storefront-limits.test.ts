import { ApplicationFailure } from '@temporalio/common';
import type Bottleneck from 'bottleneck';
import { afterEach, expect, inject, test } from 'vitest';
import { httpRequest, expectOk } from '../../src/activity/http.ts';
import { StorefrontClient } from '../../src/activity/storefront/client.ts';
import { createStorefrontLimiter } from '../../src/activity/storefront/limiter.ts';
import { skuFor } from '../../src/dev/standins/seed.ts';
import { startStorefrontStandin } from '../../src/dev/standins/storefront.ts';
import { uniqueName } from '../support/names.ts';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await Promise.all(cleanup.splice(0).map((close) => close()));
});

async function standin(rateLimitRps: number) {
  const server = await startStorefrontStandin({ rateLimitRps });
  cleanup.push(() => server.close());
  return server;
}

function limiter(settings: Parameters<typeof createStorefrontLimiter>[0]): Bottleneck {
  const created = createStorefrontLimiter(settings);
  cleanup.push(() => created.disconnect(true));
  return created;
}

test('a 429 becomes a retryable failure that waits as long as Retry-After says; other 4xx are non-retryable', async () => {
  const server = await standin(1);
  await httpRequest(`${server.url}/products/${skuFor(1)}`);
  const limited = await httpRequest(`${server.url}/products/${skuFor(1)}`).catch((error: unknown) => error);
  expect(limited).toBeInstanceOf(ApplicationFailure);
  expect(limited).toMatchObject({ type: 'HttpRateLimited', nonRetryable: false, nextRetryDelay: 1_000 });

  await new Promise((resolve) => setTimeout(resolve, 1_100));
  const bad = await httpRequest(`${server.url}/nowhere`, { method: 'POST' }).then((r) => expectOk(r, 'nowhere')).catch((error: unknown) => error);
  expect(bad).toMatchObject({ type: 'HttpClientError', nonRetryable: true });
});

/** Sends `each` product lookups through each client at once; returns what the stand-in counted. */
async function burst(clients: StorefrontClient[], each: number) {
  await Promise.all(clients.flatMap((client) => Array.from({ length: each }, (_, i) => client.getProduct(skuFor(1 + (i % 200))).catch(() => undefined))));
}

const RPS = 40;
// The stand-in allows a little over the limit: requests spaced evenly by the sender can still arrive bunched.
const STANDIN_RPS = RPS + 4;

test('instances sharing the limit through Redis stay under it together; without Redis each would take it all', { timeout: 60_000 }, async () => {
  const redisUrl = inject('stack').redisUrl;
  const shared = await standin(STANDIN_RPS);
  const id = uniqueName('storefront-limit');
  const together = [0, 1].map(() => new StorefrontClient(shared.url, limiter({ rps: RPS, instances: 2, redisUrl, id })));
  await burst(together, RPS * 2);

  const alone = await standin(STANDIN_RPS);
  const apart = [0, 1].map(() => new StorefrontClient(alone.url, limiter({ rps: RPS, instances: 1 })));
  await burst(apart, RPS * 2);

  const peak = (stats: { perSecond: Record<string, number> }) => Math.max(...Object.values(stats.perSecond));
  console.log(
    `[figures] storefront limit ${RPS}/s, 2 instances: shared via Redis peak ${peak(shared.stats())}/s with ${shared.stats().rejected} 429s; unshared peak ${peak(alone.stats())}/s with ${alone.stats().rejected} 429s`,
  );
  expect(shared.stats().rejected).toBe(0);
  expect(peak(shared.stats())).toBeLessThanOrEqual(STANDIN_RPS);
  expect(alone.stats().rejected).toBeGreaterThan(0);
});

test('without Redis the limit is split statically: each of 2 instances gets half the rate', { timeout: 30_000 }, async () => {
  const timeFor = async (instances: number) => {
    const only = limiter({ rps: 100, instances });
    const started = performance.now();
    await Promise.all(Array.from({ length: 21 }, () => only.schedule(async () => undefined)));
    return performance.now() - started;
  };
  const whole = await timeFor(1);
  const half = await timeFor(2);
  // 20 gaps of 10 ms against 20 gaps of 20 ms: the ratio, not the absolute time, is what is checked.
  expect(half / whole).toBeGreaterThan(1.6);
  expect(half / whole).toBeLessThan(2.5);
});

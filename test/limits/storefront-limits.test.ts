import { ApplicationFailure } from '@temporalio/common';
import { Redis } from 'ioredis';
import { afterEach, beforeAll, expect, inject, test } from 'vitest';
import { expectOk, httpRequest } from '../../src/activity/http.ts';
import { StorefrontClient } from '../../src/activity/storefront/client.ts';
import { createStorefrontLimiter, LIMITER_UNAVAILABLE, type RequestBudget } from '../../src/activity/storefront/limiter.ts';
import { loadConfig } from '../../src/config/config.ts';
import { skuFor } from '../../src/dev/standins/seed.ts';
import { startStorefrontStandin } from '../../src/dev/standins/storefront.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createWorkerMetrics } from '../../src/observability/metrics.ts';
import { limiterDemand, usedPerSecond } from '../support/limiter-demand.ts';
import { randomPort, uniqueName } from '../support/names.ts';
import { standinsProcess } from '../support/standins-process.ts';
import { quietMachine } from '../support/quiet-machine.ts';
import { startTcpProxy } from '../support/tcp-proxy.ts';

beforeAll(async () => {
  const busy = await quietMachine();
  console.log(`[figures] machine busy before the timing tests: ${(busy * 100).toFixed(0)} %`);
}, 90_000);

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await Promise.all(cleanup.splice(0).map((close) => close()));
});

async function standin(rateLimitRps: number) {
  const server = await startStorefrontStandin({ rateLimitRps });
  cleanup.push(() => server.close());
  return server;
}

async function standinProcess(rateLimitRps: number) {
  const standins = await standinsProcess(rateLimitRps);
  cleanup.push(() => standins.close());
  return standins;
}

const logger = createLogger({ level: 'silent', pretty: false });
const DEFAULT_RPS = loadConfig({}).storefront.rps;
/** Half the limit: measured 0.94-0.97 on a quiet or a busy machine; a limiter that serialised on Redis, or hung, would miss it. */
const USED_FLOOR = 0.5;

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

test(`two worker processes sharing the limit through Redis at the default ${DEFAULT_RPS}/s: no 429, never over the limit, not stuck; restarted at 7/s, the same at 7/s`, { timeout: 90_000 }, async () => {
  const id = uniqueName('storefront-limit');
  const shared = { STOREFRONT_LIMITER_REDIS_URL: inject('stack').redisUrl, STOREFRONT_LIMITER_ID: id, DEMAND_SECONDS: '8' };
  const atDefault = await standinProcess(DEFAULT_RPS);
  const runs = await Promise.all([0, 1].map(() => limiterDemand({ ...shared, STOREFRONT_BASE_URL: atDefault.url })));
  const atDefaultStats = await atDefault.stats();
  const used = usedPerSecond(atDefaultStats);
  console.log(`[figures] storefront limit ${DEFAULT_RPS}/s shared by 2 processes: ${used.toFixed(1)}/s used (${(used / DEFAULT_RPS).toFixed(3)}), ${atDefaultStats.rejected} × 429, busiest second ${atDefaultStats.busiestWindow}`);
  expect(runs.map((run) => run.failed)).toEqual([{}, {}]);
  expect(atDefaultStats.rejected).toBe(0);
  // A floor, not the target: the 95 % of the limit is `npm run bench`'s (section limiter); this catches a hang or a limiter gone slow.
  expect(used).toBeGreaterThanOrEqual(USED_FLOOR * DEFAULT_RPS);

  // The same limiter group, restarted with a new rate that is not a whole number of milliseconds apart either.
  const slow = await standinProcess(7);
  const slowRuns = await Promise.all([0, 1].map(() => limiterDemand({ ...shared, STOREFRONT_BASE_URL: slow.url, STOREFRONT_RPS: '7', DEMAND_SECONDS: '12' })));
  const slowStats = await slow.stats();
  const slowUsed = usedPerSecond(slowStats);
  console.log(`[figures] restarted at 7/s: ${slowUsed.toFixed(2)}/s used, ${slowStats.rejected} × 429, busiest second ${slowStats.busiestWindow}`);
  expect(slowRuns.map((run) => run.failed)).toEqual([{}, {}]);
  expect(slowStats.rejected).toBe(0);
  expect(slowUsed).toBeGreaterThanOrEqual(USED_FLOOR * 7);
});

test(`one worker process without Redis at the default ${DEFAULT_RPS}/s: no 429, not stuck`, { timeout: 60_000 }, async () => {
  const server = await standinProcess(DEFAULT_RPS);
  const run = await limiterDemand({ STOREFRONT_BASE_URL: server.url, DEMAND_SECONDS: '7' });
  const stats = await server.stats();
  const used = usedPerSecond(stats);
  console.log(`[figures] storefront limit ${DEFAULT_RPS}/s, one process, no Redis: ${used.toFixed(1)}/s used, ${stats.rejected} × 429, busiest second ${stats.busiestWindow}`);
  expect(run.failed).toEqual({});
  expect(stats.rejected).toBe(0);
  expect(used).toBeGreaterThanOrEqual(USED_FLOOR * DEFAULT_RPS);
});

test('without Redis the limit is split statically: each of 2 instances gets half the rate', { timeout: 30_000 }, async () => {
  const timeFor = async (instances: number) => {
    const budget = await createStorefrontLimiter({ rps: 100, instances }, { logger });
    cleanup.push(() => budget.close());
    const started = performance.now();
    await Promise.all(Array.from({ length: 21 }, () => budget.schedule(async () => undefined)));
    return performance.now() - started;
  };
  const whole = await timeFor(1);
  const half = await timeFor(2);
  // 20 gaps against 20 gaps twice as long: the ratio, not the absolute time, is what is checked.
  expect(half / whole).toBeGreaterThan(1.6);
  expect(half / whole).toBeLessThan(2.5);
});

/** A limiter on Redis through a proxy the test can cut, with the worker's failure metric. */
async function limiterBehindProxy() {
  const proxy = await startTcpProxy(new URL(inject('stack').redisUrl).host);
  cleanup.push(() => proxy.close());
  const metrics = createWorkerMetrics();
  const id = uniqueName('limit-failure');
  const budget = await createStorefrontLimiter({ rps: DEFAULT_RPS, instances: 1, redisUrl: `redis://${proxy.address}`, id }, { logger, failures: metrics.limiterFailures });
  cleanup.push(() => budget.close());
  const failures = async () => (await metrics.limiterFailures.get()).values.reduce((sum, value) => sum + value.value, 0);
  return { proxy, budget, id, failures };
}

const settle = (budget: RequestBudget, n: number) =>
  Promise.all(Array.from({ length: n }, (_, i) => budget.schedule(async () => i).then((value) => ({ value }), (error: unknown) => ({ error }))));

test('Redis going away fails the waiting calls retryably with a named error and counts it, instead of hanging them', { timeout: 30_000 }, async () => {
  const { proxy, budget, failures } = await limiterBehindProxy();
  expect((await settle(budget, 5)).every((outcome) => 'value' in outcome)).toBe(true);

  proxy.cut();
  const started = performance.now();
  const outcomes = await settle(budget, 20);
  const waitedMs = performance.now() - started;
  console.log(`[figures] limiter with Redis cut: 20 calls failed within ${Math.round(waitedMs)} ms`);
  expect(outcomes.map((outcome) => ('error' in outcome ? (outcome.error as ApplicationFailure).type : 'ran'))).toEqual(Array(20).fill(LIMITER_UNAVAILABLE));
  expect(outcomes.every((outcome) => 'error' in outcome && (outcome.error as ApplicationFailure).nonRetryable === false)).toBe(true);
  expect(waitedMs).toBeLessThan(10_000);
  expect(await failures()).toBeGreaterThan(0);
});

test('a script error in Redis fails the calls retryably with a named error, instead of hanging them', { timeout: 30_000 }, async () => {
  const { budget, id, failures } = await limiterBehindProxy();
  expect((await settle(budget, 3)).every((outcome) => 'value' in outcome)).toBe(true);
  const redis = new Redis(inject('stack').redisUrl);
  cleanup.push(() => redis.quit());
  // Settings Bottleneck's register script can't compute with: every call's script run fails.
  await redis.hset(`b_${id}_settings`, 'minTime', 'not-a-number');
  const outcomes = await settle(budget, 5);
  expect(outcomes.map((outcome) => ('error' in outcome ? (outcome.error as ApplicationFailure).type : 'ran'))).toEqual(Array(5).fill(LIMITER_UNAVAILABLE));
  expect(await failures()).toBeGreaterThan(0);
});

test('a Redis that does not answer stops start-up with one line naming STOREFRONT_LIMITER_REDIS_URL', { timeout: 30_000 }, async () => {
  const failed = await createStorefrontLimiter({ rps: DEFAULT_RPS, instances: 1, redisUrl: `redis://127.0.0.1:${randomPort()}` }, { logger }).catch((error: unknown) => error as Error);
  expect(failed).toBeInstanceOf(Error);
  expect((failed as Error).message).toMatch(/^STOREFRONT_LIMITER_REDIS_URL: .*127\.0\.0\.1/);
  expect((failed as Error).message).not.toContain('\n');
});

test('notifications to the commerce app wait in the storefront budget; its stand-in lists, adds and clears faults', async () => {
  const server = await standin(DEFAULT_RPS);
  // 4/s: three calls, alternating notification and storefront, can't all go within half a second if they share the budget.
  const budget = await createStorefrontLimiter({ rps: 4, instances: 1 }, { logger });
  cleanup.push(() => budget.close());
  const { createNotificationActivities } = await import('../../src/activity/notification/activities.ts');
  const notify = createNotificationActivities({ baseUrl: server.url, budget });
  const started = performance.now();
  await notify.notifyCustomer({ orderId: 'ORD-n1', fulfillmentId: 'ful-1', template: 'order-confirmed' });
  await new StorefrontClient(server.url, budget).getProduct(skuFor(1));
  await notify.notifyCustomer({ orderId: 'ORD-n1', fulfillmentId: 'ful-2', template: 'order-confirmed' });
  expect(performance.now() - started).toBeGreaterThanOrEqual(2 * (1_000 / 4) - 10);

  expect(await (await fetch(`${server.url}/_faults`)).json()).toEqual([]);
  expect((await fetch(`${server.url}/_faults`, { method: 'POST', body: 'null' })).status).toBe(400);
  expect((await fetch(`${server.url}/products/${skuFor(1)}`)).status).toBe(200);
  await fetch(`${server.url}/_faults`, { method: 'POST', body: JSON.stringify({ method: 'GET', pathPrefix: '/products', status: 503 }) });
  expect((await fetch(`${server.url}/products/${skuFor(1)}`)).status).toBe(503);
  await fetch(`${server.url}/_faults`, { method: 'DELETE' });
  expect((await fetch(`${server.url}/products/${skuFor(1)}`)).status).toBe(200);
});

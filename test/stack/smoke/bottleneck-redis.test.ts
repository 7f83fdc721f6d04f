import Bottleneck from 'bottleneck';
import { Redis } from 'ioredis';
import { afterEach, expect, inject, test } from 'vitest';
import { uniqueName } from '../../support/names.ts';

const limiters: Bottleneck[] = [];

function limiterInGroup(id: string, reservoir: number): Bottleneck {
  const limiter = new Bottleneck({
    id,
    reservoir,
    datastore: 'ioredis',
    clearDatastore: false,
    connection: new Bottleneck.IORedisConnection({ client: new Redis(inject('stack').redisUrl) }),
  });
  limiters.push(limiter);
  return limiter;
}

afterEach(async () => {
  await Promise.all(limiters.splice(0).map((limiter) => limiter.disconnect(true)));
});

/** Submits jobs to both limiters and counts how many ran once the queues have settled. */
async function runOnBoth(a: Bottleneck, b: Bottleneck, jobsEach: number): Promise<number> {
  let ran = 0;
  const job = async () => void ran++;
  for (let i = 0; i < jobsEach; i++) {
    void a.schedule(job).catch(() => undefined);
    void b.schedule(job).catch(() => undefined);
  }
  // Jobs beyond the reservoir stay queued forever; give the ones that can run ample time.
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  return ran;
}

test('two limiters with one id in Redis share a single reservoir', async () => {
  const group = uniqueName('smoke-limiter');
  const a = limiterInGroup(group, 5);
  const b = limiterInGroup(group, 5);
  await Promise.all([a.ready(), b.ready()]);

  expect(await runOnBoth(a, b, 4)).toBe(5);
  expect(await a.currentReservoir()).toBe(0);
  expect(await b.currentReservoir()).toBe(0);
});

test('control: limiters with different ids each have their own reservoir', async () => {
  const a = limiterInGroup(uniqueName('smoke-limiter'), 5);
  const b = limiterInGroup(uniqueName('smoke-limiter'), 5);
  await Promise.all([a.ready(), b.ready()]);

  expect(await runOnBoth(a, b, 4)).toBe(8);
});

import { expect, test } from 'vitest';
import { KeyOrderedExecutor } from '../../../src/ingest/key-ordered-executor.ts';
import { OffsetTracker } from '../../../src/ingest/offset-tracker.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('tasks of one key run in submission order; different keys overlap, up to the limit', async () => {
  const executor = new KeyOrderedExecutor(4);
  const finished: string[] = [];
  let running = 0;
  let peak = 0;
  const task = (label: string, ms: number) => async () => {
    peak = Math.max(peak, ++running);
    await sleep(ms);
    running--;
    finished.push(label);
  };
  // a1 is slow: a2 must still wait for it, while b and c finish meanwhile.
  await Promise.all([
    executor.submit('a', task('a1', 60)),
    executor.submit('a', task('a2', 1)),
    ...Array.from({ length: 6 }, (_, i) => executor.submit(`k${i}`, task(`k${i}`, 20))),
  ]);
  expect(finished.indexOf('a1')).toBeLessThan(finished.indexOf('a2'));
  expect(finished.indexOf('k0')).toBeLessThan(finished.indexOf('a1'));
  expect(peak).toBe(4);
});

test('the committable offset advances only over a contiguous run of completed offsets', () => {
  const tracker = new OffsetTracker();
  for (const offset of ['10', '11', '12', '13']) tracker.begin(offset);
  expect(tracker.committable()).toBeUndefined();
  tracker.complete('12');
  tracker.complete('11');
  expect(tracker.committable()).toBeUndefined();
  tracker.complete('10');
  expect(tracker.committable()).toBe('13');
  tracker.complete('13');
  expect(tracker.committable()).toBe('14');
});

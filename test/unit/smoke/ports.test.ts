import { expect, test } from 'vitest';
import { randomPort } from '../../support/names.ts';

// Role processes of one file, and of files running side by side, must not be handed the same port:
// the second listener dies on EADDRINUSE, and its test waits out its whole timeout.
test('test ports: a file gets 1,000 distinct ones in its pool slot, clear of the other slot', () => {
  const pool = Number(process.env.VITEST_POOL_ID);
  expect(pool, 'vitest names the pool slot this file runs in').toBeGreaterThan(0);
  const ports = Array.from({ length: 1_000 }, () => Number(randomPort()));
  expect(new Set(ports).size).toBe(1_000);
  const [from, to] = [14_000 + ((pool - 1) % 2) * 2_000, 14_000 + ((pool - 1) % 2) * 2_000 + 1_999];
  expect(ports.filter((port) => port < from || port > to)).toEqual([]);
});

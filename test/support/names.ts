import { randomBytes } from 'node:crypto';

/** Every test works in its own topics, subjects, task queues and limiter groups on the shared stack. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

/**
 * Ports for listeners of a test's own: 14000-19999, below Linux's ephemeral range (32768-60999),
 * where an outgoing connection of any process could already hold it, and clear of the private
 * stacks' ports (11000-13006, and the start test's 26379-29093).
 *
 * Drawn at random, ten role processes in a file shared a port about once in a hundred runs; the
 * second one then died on EADDRINUSE. So each vitest pool slot (the files that may run at the same
 * time) has a third of the range to itself, and a process hands its ports out in turn from a random
 * start: no two listeners of one file, nor of two files running side by side, get the same port.
 */
const PORTS_FROM = 14_000;
const SLICE = 2_000;
const slice = (() => {
  const pool = Number(process.env.VITEST_POOL_ID);
  // The runner itself and scripts outside vitest (the bench) take the last third.
  return Number.isInteger(pool) && pool > 0 ? (pool - 1) % 2 : 2;
})();
let nextInSlice = Math.floor(Math.random() * SLICE);

export function randomPort(): string {
  const port = PORTS_FROM + slice * SLICE + (nextInSlice % SLICE);
  nextInSlice += 1;
  return String(port);
}

import { randomBytes } from 'node:crypto';

/** Every test works in its own topics, subjects, task queues and limiter groups on the shared stack. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

/**
 * A port for a listener of a test's own: 14000-19999, below Linux's ephemeral range (32768-60999),
 * where an outgoing connection of any process could already hold it, and clear of the private
 * stacks' ports (11000-13006, and the start test's 26379-29093).
 */
export function randomPort(): string {
  return String(14_000 + Math.floor(Math.random() * 6_000));
}

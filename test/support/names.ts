import { randomBytes } from 'node:crypto';

/** Every test works in its own topics, subjects, task queues and limiter groups on the shared stack. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

import type { TestProject } from 'vitest/node';
import { acquireStack } from '../../src/dev/acquire.ts';
import { hideKnownKafkajsWarning } from '../../src/observability/known-warnings.ts';

/** One real stack for the whole run; tests read its endpoints with `inject('stack')`. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  hideKnownKafkajsWarning();
  const stack = await acquireStack(process.env, (line) => console.error(`[stack] ${line}`));
  console.error(`[stack] ready (${stack.source}): ${JSON.stringify(stack.endpoints)}`);
  project.provide('stack', stack.endpoints);
  project.provide('stackSource', stack.source);
  return () => stack.release();
}

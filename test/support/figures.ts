import { appendFileSync } from 'node:fs';

/**
 * A figure a test measured, printed for the log and, when OMS_FIGURES_FILE is set (`npm run bench`'s
 * recovery section sets it), appended there as a JSON line, so the bench reports it beside its target.
 * Tests assert guarantees and a floor far below the target; the target is the bench's.
 */
export function recordFigure(key: string, value: number, line: string): void {
  console.log(`[figures] ${line}`);
  const file = process.env.OMS_FIGURES_FILE;
  if (file) appendFileSync(file, `${JSON.stringify({ key, value })}\n`);
}

/**
 * Floors for recovery times: a hang, or a regression many times the target, misses them; a busy shared
 * machine does not. The targets (5 s to consume again, 10 s for a rebalance) are `npm run bench`'s.
 */
export const RECOVERY_FLOOR_S = 30;

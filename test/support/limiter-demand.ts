import { execFile } from 'node:child_process';
import path from 'node:path';
import type { StorefrontStats } from '../../src/dev/standins/storefront.ts';

export interface DemandOutcome {
  answered: number;
  failed: Record<string, number>;
}

/** One process of storefront demand above the limit, through the production limiter and config (test/fixtures/limiter-demand.ts). */
export function limiterDemand(env: Record<string, string>): Promise<DemandOutcome> {
  const script = path.resolve(import.meta.dirname, '../fixtures/limiter-demand.ts');
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [script], { env: { PATH: process.env.PATH, ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`limiter-demand failed: ${error.message}\n${stderr}`));
      else resolve(JSON.parse(stdout.trim().split('\n').at(-1)!) as DemandOutcome);
    });
  });
}

/** Requests the stand-in accepted per second, over the whole seconds in which every process was sending (first two and last one dropped). */
export function usedPerSecond(stats: StorefrontStats): number {
  const seconds = Object.entries(stats.perSecond)
    .sort(([a], [b]) => Number(a) - Number(b))
    .slice(2, -1);
  return seconds.reduce((sum, [, n]) => sum + n, 0) / seconds.length;
}

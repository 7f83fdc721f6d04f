import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { endpointsToEnv } from '../../src/dev/endpoints.ts';
import type { Bench } from './harness.ts';

const root = path.resolve(import.meta.dirname, '../..');

/**
 * Runs test files on the bench's stack and returns the figures they recorded (test/support/figures.ts).
 * A failing test fails the section: its figures would say nothing.
 */
export async function figuresOfTests(bench: Bench, files: string[]): Promise<Map<string, number>> {
  const dir = await mkdtemp(path.join(tmpdir(), 'oms-figures-'));
  const file = path.join(dir, 'figures.jsonl');
  try {
    const env = { ...process.env, ...endpointsToEnv(bench.stack), OMS_FIGURES_FILE: file };
    await new Promise<void>((resolve, reject) => {
      const vitest = path.join(root, 'node_modules/vitest/vitest.mjs');
      execFile(process.execPath, [vitest, 'run', '--config', 'test/vitest.config.ts', ...files], { cwd: root, env, maxBuffer: 64 * 1024 * 1024 }, (error, stdout) => {
        for (const line of stdout.split('\n')) if (line.includes('[figures]')) console.error(`[bench]   ${line.trim()}`);
        if (error) reject(new Error(`the tests behind the figures failed:\n${stdout.slice(-4_000)}`));
        else resolve();
      });
    });
    const lines = (await readFile(file, 'utf8')).trim().split('\n');
    return new Map(lines.map((line) => JSON.parse(line) as { key: string; value: number }).map(({ key, value }) => [key, value]));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

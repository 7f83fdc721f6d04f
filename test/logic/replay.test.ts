import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { bundleWorkflowCode, Worker, type ReplayResult } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { afterAll, expect, test } from 'vitest';
import { cachePaths } from '../../src/dev/native/paths.ts';
import { quietBundler, workflowBundle } from '../support/workflow-doubles.ts';

/**
 * Every saved history (test/logic/histories/<version>/<scenario>.<workflow>.json, written by
 * `oms history export` or the recording test) replayed against today's workflow code: a change that
 * would break a run in flight fails here, before it is deployed.
 */
const historiesDir = fileURLToPath(new URL('./histories/', import.meta.url));

async function savedHistories(): Promise<{ name: string; workflowId: string; history: ReturnType<typeof historyFromJSON> }[]> {
  const versions = await readdir(historiesDir);
  const files = (await Promise.all(versions.map(async (version) => (await readdir(path.join(historiesDir, version))).map((file) => path.join(version, file))))).flat();
  return Promise.all(
    files
      .filter((file) => file.endsWith('.json'))
      .sort()
      .map(async (file) => ({ name: file, workflowId: file, history: historyFromJSON(JSON.parse(await readFile(path.join(historiesDir, file), 'utf8'))) })),
  );
}

async function replayAll(workflowBundleCode: Awaited<ReturnType<typeof workflowBundle>>): Promise<Map<string, ReplayResult>> {
  const histories = await savedHistories();
  const results = new Map<string, ReplayResult>();
  for await (const result of Worker.runReplayHistories({ workflowBundle: workflowBundleCode, replayName: 'saved-histories' }, histories)) {
    results.set(result.workflowId, result);
  }
  return results;
}

test('every saved history, of every version, replays against the current workflow code', async () => {
  const results = await replayAll(await workflowBundle());
  const versions = new Set([...results.keys()].map((name) => name.split('/')[0]));
  expect(versions.has('v1')).toBe(true);
  expect(results.size).toBeGreaterThanOrEqual(7);
  const failures = [...results].filter(([, result]) => result.error).map(([name, result]) => `${name}: ${result.error!.message}`);
  expect(failures).toEqual([]);
});

const scratch: string[] = [];
afterAll(async () => {
  await Promise.all(scratch.map((dir) => rm(dir, { recursive: true, force: true })));
});

test('a change that is not replay-safe (a timer added before enrichment, unpatched) is reported as non-determinism', async () => {
  // A copy of the workflow folder with one careless edit, inside the repository so it resolves the same packages.
  const dir = await mkdtemp(path.join(cachePaths().root, 'unsafe-workflow-'));
  scratch.push(dir);
  await cp(fileURLToPath(new URL('../../src/workflow/', import.meta.url)), dir, { recursive: true });
  const file = path.join(dir, 'order-processing.ts');
  const source = await readFile(file, 'utf8');
  const edited = source.replace("    enter('enriching');", "    await sleep('1 second');\n    enter('enriching');").replace('  setHandler,\n', '  setHandler,\n  sleep,\n');
  expect(edited).not.toBe(source);
  await writeFile(file, edited);
  const unsafe = await bundleWorkflowCode({ workflowsPath: path.join(dir, 'index.ts'), logger: quietBundler });

  const results = await replayAll(unsafe);
  // Every order in the saved set reached enrichment; the payment workflow's histories are untouched by the edit.
  const orders = [...results].filter(([name]) => name.endsWith('.order.json'));
  expect(orders.length).toBeGreaterThanOrEqual(7);
  for (const [name, result] of orders) expect(result.error, name).toBeInstanceOf(DeterminismViolationError);
  for (const [name, result] of results) if (name.endsWith('.payment.json')) expect(result.error, name).toBeUndefined();
});

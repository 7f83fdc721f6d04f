import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { makeWorkflowExporter } from '@temporalio/interceptors-opentelemetry-v2';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { bundleWorkflowCode, Worker, type ReplayResult, type ReplayWorkerOptions } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { afterAll, expect, test } from 'vitest';
import { cachePaths } from '../../src/dev/native/paths.ts';
import { TRACING_WORKFLOW_MODULES } from '../../src/service/worker.ts';
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

const scratch: string[] = [];
afterAll(async () => {
  await Promise.all(scratch.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function replayAll(workflowBundleCode: Awaited<ReturnType<typeof workflowBundle>>, options: Partial<ReplayWorkerOptions> = {}): Promise<Map<string, ReplayResult>> {
  const histories = await savedHistories();
  const results = new Map<string, ReplayResult>();
  for await (const result of Worker.runReplayHistories({ ...options, workflowBundle: workflowBundleCode, replayName: 'saved-histories' }, histories)) {
    results.set(result.workflowId, result);
  }
  return results;
}

test('every saved history, of every version, replays against the current workflow code', async () => {
  const results = await replayAll(await workflowBundle());
  const versions = new Set([...results.keys()].map((name) => name.split('/')[0]));
  expect([...versions].sort()).toEqual(['v1', 'v2', 'v3', 'v4', 'v5']);
  // v1: the 7 kinds of order before the risk check; v2: the same 7 and 3 more, after it; v3: the 10 of v2, in fewer steps; v4: the 10, as local activities; v5: the 10, with the stage attribute.
  expect([...results.keys()].filter((name) => name.endsWith('.order.json')).length).toBeGreaterThanOrEqual(47);
  const failures = [...results].filter(([, result]) => result.error).map(([name, result]) => `${name}: ${result.error!.message}`);
  expect(failures).toEqual([]);
});

test('with tracing on (OpenTelemetry interceptors and trace links in the bundle), every saved history still replays, and replay exports no span', async () => {
  const traced = await bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('../../src/workflow/index.ts', import.meta.url)),
    workflowInterceptorModules: TRACING_WORKFLOW_MODULES,
    logger: quietBundler,
  });
  const exported = new InMemorySpanExporter();
  const results = await replayAll(traced, { sinks: { exporter: makeWorkflowExporter(new SimpleSpanProcessor(exported), resourceFromAttributes({})) } });
  expect(results.size).toBeGreaterThanOrEqual(65);
  const failures = [...results].filter(([, result]) => result.error).map(([name, result]) => `${name}: ${result.error!.message}`);
  expect(failures).toEqual([]);
  expect(exported.getFinishedSpans()).toEqual([]);
});

/** Bundles a copy of the workflow folder (and the contract it imports) with one edit, inside the repository so it resolves the same packages. */
async function editedWorkflows(edit: (source: string) => string) {
  const dir = await mkdtemp(path.join(cachePaths().root, 'edited-workflow-'));
  scratch.push(dir);
  for (const folder of ['workflow', 'contract']) await cp(fileURLToPath(new URL(`../../src/${folder}/`, import.meta.url)), path.join(dir, folder), { recursive: true });
  const file = path.join(dir, 'workflow', 'order-processing.ts');
  const source = await readFile(file, 'utf8');
  const edited = edit(source);
  expect(edited).not.toBe(source);
  await writeFile(file, edited);
  return bundleWorkflowCode({ workflowsPath: path.join(dir, 'workflow', 'index.ts'), logger: quietBundler });
}

test('a change that is not replay-safe (a timer added before the wait for payment, unpatched) is reported as non-determinism', async () => {
  const unsafe = await editedWorkflows((source) => source.replace("    run.enter('awaiting-payment');", "    await sleep('1 second');\n    run.enter('awaiting-payment');").replace('setHandler }', 'setHandler, sleep }'));
  const results = await replayAll(unsafe);
  // Every order in the saved set, of every version, reached the wait for payment; the payment workflow's histories are untouched by the edit.
  const orders = [...results].filter(([name]) => name.endsWith('.order.json'));
  expect(orders.length).toBeGreaterThanOrEqual(47);
  for (const [name, result] of orders) expect(result.error, name).toBeInstanceOf(DeterminismViolationError);
  for (const [name, result] of results) if (name.endsWith('.payment.json')) expect(result.error, name).toBeUndefined();
});

test('the risk check is replay-safe because of its patch: taken regardless of patched(), v1 orders that reached allocation break', async () => {
  const unpatched = await editedWorkflows((source) => source.replace('const riskCheck = fewerSteps || patched(PATCHES.riskCheck);', 'const riskCheck = fewerSteps || patched(PATCHES.riskCheck) || true;'));
  const results = await replayAll(unpatched);
  const allocatedV1 = ['normal', 'payment-first', 'invalid-then-corrected', 'cancelled-with-compensation', 'payment-pending-then-settled', 'reprocessed'].map((scenario) => `v1/${scenario}.order.json`);
  for (const name of allocatedV1) expect(results.get(name)?.error, name).toBeInstanceOf(DeterminismViolationError);
  // v2, v3 and v4 runs took the check anyway, and the v1 order whose payment failed never got as far.
  for (const [name, result] of results) if (!name.startsWith('v1/') || name === 'v1/payment-failed.order.json') expect(result.error, name).toBeUndefined();
});

test('the stage attribute is replay-safe because of its patch: set regardless of patched(), orders of earlier versions that waited in a long stage break', async () => {
  const unpatched = await editedWorkflows((source) => source.replace('new OrderRun(orderId, { stageAttribute })', 'new OrderRun(orderId, { stageAttribute: true })'));
  const results = await replayAll(unpatched);
  for (const name of ['v4/normal', 'v4/high-risk-approved', 'v3/payment-retried', 'v2/payment-failed', 'v1/invalid-then-corrected']) {
    expect(results.get(`${name}.order.json`)?.error, name).toBeInstanceOf(DeterminismViolationError);
    expect(results.get(`${name}.order.json`)?.error?.message, name).toMatch(/UpsertWorkflowSearchAttributes/);
  }
  // An order whose payment came first never waited: nothing to set, nothing to break.
  expect(results.get('v4/payment-first.order.json')?.error).toBeUndefined();
  for (const [name, result] of results) if (name.startsWith('v5/')) expect(result.error, name).toBeUndefined();
});

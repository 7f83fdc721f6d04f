import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { parse, stringify } from 'yaml';
import { cachePaths } from '../../../src/dev/native/paths.ts';
import { installToolchain, toolBinary } from '../../../src/dev/native/toolchain.ts';
import { loadConfig } from '../../../src/config/config.ts';
import { sloRules } from '../../../src/observability/slo-rules.ts';

/**
 * The SLO alerts, checked and unit-tested by promtool (the pinned Debian package's): each alert fires
 * on series that break its SLO and stays quiet on series that keep it, at the default settings.
 */
let promtool: string;
let dir: string;
let rulesFile: string;
const slo = loadConfig({}).slo;

beforeAll(async () => {
  const paths = cachePaths();
  const [artifact] = await installToolchain(paths, () => undefined, ['promtool']);
  promtool = toolBinary(paths, artifact!)!;
  dir = await mkdtemp(path.join(tmpdir(), 'oms-rules-'));
  rulesFile = path.join(dir, 'slo-rules.yaml');
  // promtool reads the rule groups, not the PrometheusRule around them.
  await writeFile(rulesFile, stringify({ groups: sloRules(slo).spec.groups }));
}, 120_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const run = async (args: string[]) => {
  try {
    const { stdout, stderr } = await promisify(execFile)(promtool, args, { cwd: dir });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, output: failed.stdout + failed.stderr };
  }
};

test('promtool check rules accepts the generated rules, and the hand-written ones of deploy/base/alerts.yaml', async () => {
  const result = await run(['check', 'rules', rulesFile]);
  expect(result.output).toMatch(/SUCCESS: 18 rules found/);
  expect(result.code, result.output).toBe(0);
  const machinery = path.join(dir, 'alerts.yaml');
  const rule = parse(await readFile(fileURLToPath(new URL('../../../deploy/base/alerts.yaml', import.meta.url)), 'utf8')) as { spec: { groups: object[] } };
  await writeFile(machinery, stringify({ groups: rule.spec.groups }));
  const checked = await run(['check', 'rules', machinery]);
  expect(checked.output).toMatch(/SUCCESS: 5 rules found/);
  expect(checked.code, checked.output).toBe(0);
});

const threshold = String(slo.fulfillmentSeconds);
/** Cumulative series growing by `perMinute` each minute for `minutes`, in promtool's expanding notation. */
const growing = (perMinute: number, minutes: number) => `0+${perMinute}x${minutes}`;

/**
 * Orders finishing at 10 a minute for `minutes`, `bad` of them (per 10) slow or failed. The histogram's
 * bucket at the threshold counts the fast ones; +Inf and _count count all.
 */
function series(minutes: number, slowPer10: number, failedPer10: number) {
  return [
    { series: `oms_order_fulfillment_seconds_bucket{le="${threshold}"}`, values: growing(10 - slowPer10, minutes) },
    { series: 'oms_order_fulfillment_seconds_bucket{le="+Inf"}', values: growing(10, minutes) },
    { series: 'oms_order_fulfillment_seconds_count', values: growing(10, minutes) },
    { series: 'oms_orders_total{outcome="completed"}', values: growing(10 - failedPer10, minutes) },
    { series: 'oms_orders_total{outcome="failed"}', values: growing(failedPer10, minutes) },
    { series: 'oms_orders_total{outcome="cancelled"}', values: growing(0, minutes) },
  ];
}

/** The alert as promtool must see it fire: its labels and its annotations, as generated. */
function firing(alertname: string) {
  const rule = sloRules(slo).spec.groups.flatMap((group) => group.rules).find((candidate) => candidate.alert === alertname);
  if (!rule) throw new Error(`no alert ${alertname}`);
  return { exp_labels: rule.labels, exp_annotations: rule.annotations };
}

const fast = (name: string, fires: boolean) => ({ eval_time: '70m', alertname: name, exp_alerts: fires ? [firing(name)] : [] });

async function unitTest(name: string, tests: object[]) {
  const file = path.join(dir, `${name}.test.yaml`);
  await writeFile(file, stringify({ rule_files: [path.basename(rulesFile)], evaluation_interval: '1m', tests }));
  return run(['test', 'rules', file]);
}

test('promtool test rules: each fast-burn alert fires when a fifth of the orders break its SLO for 70 minutes, and not the other', async () => {
  const result = await unitTest('fires', [
    // 20 % slow (budget 1 %: a burn of 20), none failed.
    { interval: '1m', input_series: series(80, 2, 0), alert_rule_test: [fast('OmsFulfillmentLatencyBudgetBurnFast', true), fast('OmsOrderFailuresBudgetBurnFast', false)] },
    // 20 % failed (budget 0.5 %: a burn of 40), all fast.
    { interval: '1m', input_series: series(80, 0, 2), alert_rule_test: [fast('OmsOrderFailuresBudgetBurnFast', true), fast('OmsFulfillmentLatencyBudgetBurnFast', false)] },
  ]);
  expect(result.output).toMatch(/SUCCESS/);
  expect(result.code, result.output).toBe(0);
});

test('promtool test rules: the alerts stay quiet on series within their SLOs (none bad, or under the budget), and the test itself fails when told otherwise', async () => {
  const quiet = (input: ReturnType<typeof series>) => ({
    interval: '1m',
    input_series: input,
    alert_rule_test: ['OmsFulfillmentLatencyBudgetBurnFast', 'OmsFulfillmentLatencyBudgetBurnSlow', 'OmsOrderFailuresBudgetBurnFast', 'OmsOrderFailuresBudgetBurnSlow'].map((alertname) => ({ eval_time: '70m', alertname, exp_alerts: [] })),
  });
  // All good; then 1 in 200 slow: half the latency budget, a burn of 0.5.
  const good = series(80, 0, 0);
  const withinBudget = series(80, 0, 0).map((entry) => (entry.series.includes(`le="${threshold}"`) ? { ...entry, values: '0+9.95x80' } : entry));
  const result = await unitTest('quiet', [quiet(good), quiet(withinBudget)]);
  expect(result.output).toMatch(/SUCCESS/);
  expect(result.code, result.output).toBe(0);
  // The same quiet expectation on a burning series fails: the tests above can fail.
  const wrong = await unitTest('wrong', [quiet(series(80, 2, 0))]);
  expect(wrong.code).not.toBe(0);
  expect(wrong.output).toMatch(/OmsFulfillmentLatencyBudgetBurnFast/);
});

test('promtool test rules: the slow-burn alerts fire on a steady burn of 4 over a day, where the fast ones (6 and more) stay quiet', async () => {
  // 4 % slow on the 1 % latency budget, and 2 % failed on the 0.5 % failure budget: both a burn of 4.
  const day = 26 * 60;
  const input = [
    { series: `oms_order_fulfillment_seconds_bucket{le="${threshold}"}`, values: `0+96x${day}` },
    { series: 'oms_order_fulfillment_seconds_count', values: `0+100x${day}` },
    { series: 'oms_orders_total{outcome="completed"}', values: `0+98x${day}` },
    { series: 'oms_orders_total{outcome="failed"}', values: `0+2x${day}` },
  ];
  const at = (alertname: string, fires: boolean) => ({ eval_time: '25h', alertname, exp_alerts: fires ? [firing(alertname)] : [] });
  const result = await unitTest('slow', [
    {
      interval: '1m',
      input_series: input,
      alert_rule_test: [
        at('OmsFulfillmentLatencyBudgetBurnSlow', true),
        at('OmsFulfillmentLatencyBudgetBurnFast', false),
        at('OmsOrderFailuresBudgetBurnSlow', true),
        at('OmsOrderFailuresBudgetBurnFast', false),
      ],
    },
  ]);
  expect(result.output).toMatch(/SUCCESS/);
  expect(result.code, result.output).toBe(0);
});

test('the generated rules parse back to what the generator made (no YAML surprises in the exprs)', () => {
  const rules = sloRules(slo);
  expect(parse(stringify(rules))).toEqual(rules);
});

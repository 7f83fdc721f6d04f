import { stringify } from 'yaml';
import type { Config } from '../config/config.ts';

/**
 * The order SLOs as a PrometheusRule: multi-window, multi-burn-rate alerts (the Google SRE workbook's
 * "alerting on SLOs", chapter 5). A burn rate is how fast the error budget (1 - objective) is spent,
 * 1 spending it in exactly the 30-day window; each alert needs a long window (the budget is really
 * going) and a short one (it is still going now), so it fires fast and stops soon after the cause.
 */
const BURNS = [
  { severity: 'critical', speed: 'Fast', windows: [{ long: '1h', short: '5m', burn: 14.4 }, { long: '6h', short: '30m', burn: 6 }] },
  { severity: 'warning', speed: 'Slow', windows: [{ long: '1d', short: '2h', burn: 3 }, { long: '3d', short: '6h', burn: 1 }] },
] as const;
const WINDOWS = [...new Set(BURNS.flatMap((b) => b.windows.flatMap((w) => [w.short, w.long])))];

interface Slo {
  name: string;
  /** The recorded ratio of bad events, per window. */
  record: string;
  bad: (window: string) => string;
  objective: number;
  summary: string;
  runbook: string;
}

/** A number as Prometheus and prom-client print it: 3600, 2.5. */
const le = (seconds: number) => `${seconds}`.replace(/\.0+$/, '');

function slos(slo: Config['slo']): Slo[] {
  const threshold = le(slo.fulfillmentSeconds);
  return [
    {
      name: 'OmsFulfillmentLatency',
      record: 'oms:order_fulfillment_slow:ratio_rate',
      // Prometheus 3 writes a classic histogram's le as a float (3600.0): match both spellings.
      bad: (w) => `1 - (sum(rate(oms_order_fulfillment_seconds_bucket{le=~"${threshold}(\\\\.0)?"}[${w}])) / sum(rate(oms_order_fulfillment_seconds_count[${w}])))`,
      objective: slo.fulfillmentObjective,
      summary: `Orders take longer than ${slo.fulfillmentSeconds} s from their first event to their fulfilment message, spending the ${pct(slo.fulfillmentObjective)} SLO's error budget`,
      runbook: [
        'Find where orders wait: the oms dashboard\'s orders row (waiting by stage) and task-queue rows; `oms status` for orphaned queues and ingest lag.',
        'Waiting for payment or review is the customer\'s or support\'s time: check the payment provider\'s webhooks reach the gateway (oms_gateway_requests_total) and the review queue.',
        'Slow steps: oms_activity_duration_seconds and oms_activity_attempt by group show a slow or retrying dependency (storefront 429s, risk service, Kafka).',
        'One order: `oms order <id>` gives its stage, events, trace link and dead letters.',
      ].join('\n'),
    },
    {
      name: 'OmsOrderFailures',
      record: 'oms:order_failed:ratio_rate',
      bad: (w) => `sum(rate(oms_orders_total{outcome="failed"}[${w}])) / sum(rate(oms_orders_total{outcome=~"completed|cancelled|failed"}[${w}]))`,
      objective: slo.failureObjective,
      summary: `More orders fail than the ${pct(slo.failureObjective)} SLO allows`,
      runbook: [
        'A failed order was compensated (payment voided, stock released) and FAILED was published with its reason.',
        'Read the reasons: `oms tail status` (FAILED records), or `oms order <id>` for one order; the worker logs carry orderId and trace_id.',
        'Failures by step: oms_activity_duration_seconds{outcome="failed"} by group and activity.',
        'Once the cause is fixed, reprocess the affected orders: `oms replay --topic <inbound topic> --from <time>`.',
      ].join('\n'),
    },
  ];
}

const pct = (ratio: number) => `${+(ratio * 100).toFixed(3)} %`;
const round = (value: number) => +value.toPrecision(6);

export interface Rule {
  record?: string;
  alert?: string;
  expr: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** The PrometheusRule, as an object ready for YAML. */
export function sloRules(slo: Config['slo']): { apiVersion: string; kind: string; metadata: { name: string }; spec: { groups: { name: string; rules: Rule[] }[] } } {
  const all = slos(slo);
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: { name: 'oms-slo' },
    spec: {
      groups: [
        {
          name: 'oms-slo-ratios',
          rules: all.flatMap((s) => WINDOWS.map((w) => ({ record: `${s.record}${w}`, expr: s.bad(w) }))),
        },
        {
          name: 'oms-slo-alerts',
          rules: all.flatMap((s) =>
            BURNS.map(({ severity, speed, windows }) => ({
              alert: `${s.name}BudgetBurn${speed}`,
              expr: windows
                .map(({ long, short, burn }) => {
                  const limit = round(burn * (1 - s.objective));
                  return `(${s.record}${long} > ${limit} and ${s.record}${short} > ${limit})`;
                })
                .join('\nor\n'),
              labels: { severity, slo: s.name },
              annotations: {
                summary: s.summary,
                description: `Burn rate over ${windows.map((w) => `${w.burn}x in ${w.long} (and ${w.short})`).join(', or ')}: at this pace the 30-day budget is gone in ${windows.map((w) => `${+(30 / w.burn).toFixed(1)} days`).join(' or ')}.`,
                runbook: s.runbook,
              },
            })),
          ),
        },
      ],
    },
  };
}

/** The rules as `oms slo-rules` prints them, and deploy/base/slo-alerts.yaml holds them at the defaults. */
export const sloRulesYaml = (slo: Config['slo']) =>
  `# Generated by \`oms slo-rules\` from the SLO_* settings; regenerate it after changing them.\n${stringify(sloRules(slo), { lineWidth: 0 })}`;

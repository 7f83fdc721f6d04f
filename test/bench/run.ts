import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { hideKnownKafkajsWarning } from '../../src/observability/known-warnings.ts';
import { loadConfig } from '../../src/config/config.ts';
import { startStorefrontStandin } from '../../src/dev/standins/storefront.ts';
import { limiterDemand, usedPerSecond } from '../support/limiter-demand.ts';
import { uniqueName } from '../support/names.ts';
import { openBench, type Bench } from './harness.ts';
import { bareSignalWithStart, drainBacklog, replayBacklog, startBridgeIngest, type BridgeTurn, type DrainFigures } from './ingest.ts';
import { codecCost } from './codec.ts';
import { gatewayAgainstBareProducer, type LoadFigures as GatewayLoad } from './gateway.ts';
import { ordersUnderLoad, type LoadFigures } from './orders.ts';
import { figuresOfTests } from './test-figures.ts';
import { orderCost, COST_TARGETS } from './cost.ts';
import { checkoutOf, MAIN_BEFORE_ISSUE_28 } from './baseline.ts';
import { startupFigures } from './startup.ts';

/**
 * `npm run bench [-- --quick] [-- --only name,name]`: performance figures, each printed as a ratio to a
 * baseline measured in the same run on the same stack, and written raw to .cache/bench/. Not a test:
 * it fails only when something could not be measured. --quick runs small sizes, as a smoke check.
 */
interface Figure {
  name: string;
  value: number;
  unit: string;
  baseline: number;
  baselineName: string;
  /** What the issue asks of the ratio, for the reader. */
  target: string;
  /** Raw figures behind it, for the JSON file. */
  detail?: object;
}

/** One figure's mean over the runs of one side. */
const meanOf = <T>(runs: T[], figure: (run: T) => number) => runs.reduce((sum, run) => sum + figure(run), 0) / runs.length;
/** Each run's rate, rounded, for the progress lines. */
const eventRates = (runs: { eventsPerSecond: number }[]) => runs.map((run) => Math.round(run.eventsPerSecond)).join(', ');
const eventsPerSecond = (run: { eventsPerSecond: number }) => run.eventsPerSecond;

/** Two worker-like processes sharing one storefront limit through Redis for `seconds`, against a stand-in enforcing `rps`: what it counted. */
async function sharedLimitRun(bench: Bench, limiterId: string, rps: number, seconds: number, settings: Record<string, string> = {}) {
  const server = await startStorefrontStandin({ rateLimitRps: rps });
  try {
    const shared = { STOREFRONT_BASE_URL: server.url, STOREFRONT_LIMITER_REDIS_URL: bench.stack.redisUrl, STOREFRONT_LIMITER_ID: limiterId, DEMAND_SECONDS: String(seconds), ...settings };
    await Promise.all([0, 1].map(() => limiterDemand(shared)));
    return server.stats();
  } finally {
    await server.close();
  }
}

const sections: Record<string, (bench: Bench, figures: Figure[]) => Promise<void>> = {
  async bridge(bench, figures) {
    // The dev server's speed drifts by tens of percent within minutes (the same loop ran at 98 and at 171/s
    // in one run), so ingest and the bare loop take short turns, A B B A in several rounds, and the
    // ratio is of the means: what drifts is shared, instead of landing on one side. Both sides are warm:
    // one ingest process serves all of a setting's turns, and each side first has a turn that is not counted.
    const [perRun, rounds] = bench.quick ? [750, 1] : [1_000, 4];
    for (const inFlight of [64, 256]) {
      const bare: BridgeTurn[] = [];
      const ingest: BridgeTurn[] = [];
      const live = await startBridgeIngest(bench, inFlight);
      try {
        await Promise.all([live.turn(perRun), bareSignalWithStart(bench, perRun, inFlight)]);
        for (let round = 0; round < rounds; round += 1) {
          bare.push(await bareSignalWithStart(bench, perRun, inFlight));
          ingest.push(await live.turn(perRun));
          ingest.push(await live.turn(perRun));
          bare.push(await bareSignalWithStart(bench, perRun, inFlight));
        }
      } finally {
        await live.stop();
      }
      const cpu = (runs: { cpuMsPerEvent: { client: number; temporal: number } }[]) => ({
        client: meanOf(runs, (run) => run.cpuMsPerEvent.client),
        temporal: meanOf(runs, (run) => run.cpuMsPerEvent.temporal),
      });
      console.error(`[bench]   ${inFlight} in flight: bare ${eventRates(bare)}; ingest ${eventRates(ingest)} events/s`);
      figures.push({
        name: `ingest events/s, ${inFlight} in flight (${rounds * 2} runs each of ${perRun.toLocaleString('en')} events; CPU ms an event: ingest ${cpu(ingest).client.toFixed(2)}, bare loop ${cpu(bare).client.toFixed(2)}, Temporal ${cpu(ingest).temporal.toFixed(2)} against ${cpu(bare).temporal.toFixed(2)})`,
        value: meanOf(ingest, eventsPerSecond),
        unit: 'events/s',
        baseline: meanOf(bare, eventsPerSecond),
        baselineName: `bare signal-with-start loop, ${inFlight} in flight`,
        target: '>= 0.9',
        detail: { bare: bare.map(({ eventsPerSecond, cpuMsPerEvent }) => ({ eventsPerSecond, cpuMsPerEvent })), ingest: ingest.map(({ eventsPerSecond, cpuMsPerEvent }) => ({ eventsPerSecond, cpuMsPerEvent })) },
      });
    }
  },
  async scale(bench, figures) {
    // What one more instance buys, on this machine: ingest instances in one group over 6 partitions
    // draining one backlog, and storefront workers sharing the limit under orders offered above what
    // the machine fulfils. Turns A B B A, as in bridge.
    const perRun = bench.quick ? 600 : 2_000;
    const one: DrainFigures[] = [];
    const three: DrainFigures[] = [];
    for (const instances of [1, 3, 3, 1]) (instances === 1 ? one : three).push(await drainBacklog(bench, perRun, { instances, partitions: 6 }));
    console.error(`[bench]   ingest over 6 partitions: 1 instance ${eventRates(one)}; 3 instances ${eventRates(three)} events/s`);
    const cpuMs = (runs: DrainFigures[]) => meanOf(runs, (run) => run.cpuMsPerEvent.client).toFixed(2);
    figures.push({
      name: `ingest events/s, 3 instances in one group over 6 partitions (2 runs each of ${perRun.toLocaleString('en')} events; CPU ms an event ${cpuMs(three)} against ${cpuMs(one)})`,
      value: meanOf(three, eventsPerSecond),
      unit: 'events/s',
      baseline: meanOf(one, eventsPerSecond),
      baselineName: '1 ingest instance, same partitions',
      target: 'for the reader: what more ingest instances buy on 2 cores',
      detail: { one, three },
    });
    const [offered, seconds] = bench.quick ? [4, 8] : [10, 30];
    const loads: Record<number, LoadFigures[]> = { 1: [], 2: [] };
    for (const workers of [1, 2, 2, 1]) loads[workers]!.push(await ordersUnderLoad(bench, offered, seconds, {}, workers));
    const fulfilled = (runs: LoadFigures[]) => meanOf(runs, (run) => run.fulfilledPerSecond);
    console.error(`[bench]   orders at ${offered}/s offered: 1 storefront worker ${loads[1]!.map((run) => run.fulfilledPerSecond.toFixed(1)).join(', ')}; 2 workers ${loads[2]!.map((run) => run.fulfilledPerSecond.toFixed(1)).join(', ')} orders/s`);
    figures.push({
      name: `orders fulfilled/s at ${offered}/s offered for ${seconds} s, 2 storefront workers sharing the limit (p50 ${Math.round(loads[2]![0]!.p50Ms)} ms against ${Math.round(loads[1]![0]!.p50Ms)} ms; storefront ${loads[2]![0]!.storefrontPerSecond.toFixed(0)}/s, ${loads[2]!.reduce((sum, run) => sum + run.storefront429, 0)} × 429; bound: ${loads[2]![0]!.bound})`,
      value: fulfilled(loads[2]!),
      unit: 'orders/s',
      baseline: fulfilled(loads[1]!),
      baselineName: '1 storefront worker, same split of the other groups',
      target: 'for the reader: what a second storefront worker buys on 2 cores',
      detail: loads,
    });
  },
  async limiter(bench, figures) {
    const rps = loadConfig({}).storefront.rps;
    const limiterId = uniqueName('bench-limit');
    const atDefault = await sharedLimitRun(bench, limiterId, rps, bench.quick ? 6 : 20);
    figures.push({ name: 'storefront requests/s used, 2 processes sharing Redis', value: usedPerSecond(atDefault), unit: '/s', baseline: rps, baselineName: 'STOREFRONT_RPS (default)', target: '>= 0.95' });
    figures.push({ name: 'storefront 429 responses, same run', value: atDefault.rejected, unit: '', baseline: atDefault.total, baselineName: 'requests sent', target: '0' });
    // The same limit group restarted at a rate that is not a whole number of milliseconds apart.
    const slow = await sharedLimitRun(bench, limiterId, 7, bench.quick ? 6 : 12, { STOREFRONT_RPS: '7' });
    figures.push({ name: `storefront requests/s used at 7/s, 2 processes sharing Redis (${slow.rejected} × 429)`, value: usedPerSecond(slow), unit: '/s', baseline: 7, baselineName: 'STOREFRONT_RPS=7', target: '>= 0.95' });
  },
  async recovery(bench, figures) {
    // The fault tests measure these while they break things, and assert only floors a busy machine can't
    // miss; here they run on the bench's stack (Temporal and Kafka restarts on a private one of their
    // own, as always), and each figure is printed beside its target. Quick: the ingest kills only.
    const targets: Record<string, { name: string; seconds: number }> = {
      'ingest-sigkill-consuming-s': { name: 'ingest SIGKILLed and restarted: consuming again, slowest of 3', seconds: 5 },
      'ingest-sigterm-replacement-s': { name: 'ingest SIGTERMed: its replacement (another id) consuming', seconds: 5 },
      'rebalance-settled-s': { name: 'a member joins while signals hang in flight: the group settled', seconds: 10 },
      'temporal-restart-resume-s': { name: 'Temporal SIGKILLed, back: signals, commits and fulfilment moving again, slowest', seconds: 5 },
      'kafka-restart-resume-s': { name: 'Kafka broker killed, back: signals, commits and fulfilment moving again, slowest', seconds: 5 },
      'gateway-kafka-hung-answer-s': { name: "Kafka hung: a Shopify order webhook answered (503) within Shopify's deadline", seconds: 5 },
    };
    const files = bench.quick ? ['test/faults/roles/ingest-kill.test.ts'] : ['test/faults/roles/ingest-kill.test.ts', 'test/stack/ingest/rebalance.test.ts', 'test/faults/stack/stack-restarts.test.ts'];
    const measured = await figuresOfTests(bench, files);
    for (const [key, { name, seconds }] of Object.entries(targets)) {
      const value = measured.get(key);
      if (value === undefined) {
        if (bench.quick && !key.startsWith('ingest-')) continue;
        throw new Error(`the recovery tests reported no ${key}`);
      }
      figures.push({ name, value, unit: 's', baseline: seconds, baselineName: 'target', target: '<= 1.0' });
    }
  },
  async orders(bench, figures) {
    const seconds = bench.quick ? 8 : 30;
    for (const offered of bench.quick ? [3] : [4, 8, 40]) {
      const load = await ordersUnderLoad(bench, offered, seconds);
      figures.push({
        name:
          `orders fulfilled/s, ${offered}/s offered for ${seconds} s (p50 ${Math.round(load.p50Ms)} ms, p99 ${Math.round(load.p99Ms)} ms; ` +
          `storefront ${load.storefrontPerSecond.toFixed(0)}/s, ${load.storefront429} × 429; cores: Temporal ${load.cores.temporal.toFixed(2)}, ` +
          `worker ${load.cores.worker.toFixed(2)}, ingest ${load.cores.ingest.toFixed(2)}, stand-ins ${load.cores.standins.toFixed(2)}, machine ${load.cores.machine.toFixed(2)}; bound: ${load.bound})`,
        value: load.fulfilledPerSecond,
        unit: 'orders/s',
        baseline: offered,
        baselineName: 'offered orders/s',
        target: '1.0 below saturation',
        detail: load,
      });
    }
  },
  async cost(bench, figures) {
    // Temporal work per order, read from the raw histories of orders run through ingest and a worker
    // at 4/s (below saturation): at the defaults (the worker runs every group, which the workflows call
    // as local activities), with every group on its task queue, and main before issue 28 beside them.
    // The counts are deterministic for a given arrival order; each is the median over the orders.
    const seconds = bench.quick ? 6 : 20;
    const before = await checkoutOf(MAIN_BEFORE_ISSUE_28);
    const sides: { label: string; env: Record<string, string>; entry?: string }[] = [
      { label: 'today, defaults (local activities)', env: {}, entry: undefined },
      { label: 'today, every group on its task queue', env: { WORKER_LOCAL_ACTIVITIES: 'false' }, entry: undefined },
      { label: `main before issue 28 (${MAIN_BEFORE_ISSUE_28})`, env: {}, entry: before },
    ];
    const measured = [];
    for (const side of sides) {
      const load = await ordersUnderLoad(bench, 4, seconds, side.env, undefined, side.entry);
      measured.push({ ...side, load, cost: await orderCost(bench.temporal, load.orderIds) });
    }
    const [today, queued, main] = measured as [(typeof measured)[0], (typeof measured)[0], (typeof measured)[0]];
    for (const [key, label] of Object.entries(COST_TARGETS.labels) as [keyof typeof COST_TARGETS.labels, string][]) {
      const target = COST_TARGETS.total[key];
      figures.push({
        name: `${label} per order, order + payment workflows (median of ${today.load.orderIds.length}; order ${today.cost.order[key]}, payment ${today.cost.payment[key]}; every group on its queue ${queued.cost.total[key]})`,
        value: today.cost.total[key],
        unit: '',
        baseline: target?.value ?? main.cost.total[key],
        baselineName: target ? `target (main before, this run: ${main.cost.total[key]}; issue: ${target.before})` : `main before, this run`,
        target: target ? '<= 1.0' : 'for the reader',
        detail: { today: today.cost, queued: queued.cost, main: main.cost },
      });
    }
    for (const side of [today, queued]) {
      figures.push({ name: `Temporal server CPU per order at 4/s, ${side.label}`, value: side.load.temporalCpuMsPerOrder, unit: 'ms', baseline: main.load.temporalCpuMsPerOrder, baselineName: 'main before, this run', target: 'for the reader', detail: side.load });
      figures.push({
        name: `p50 from an order's events to its fulfilment message at 4/s, ${side.label} (p99 ${Math.round(side.load.p99Ms)} ms; main before ${Math.round(main.load.p50Ms)} ms, p99 ${Math.round(main.load.p99Ms)} ms)`,
        value: side.load.p50Ms,
        unit: 'ms',
        baseline: 500,
        baselineName: 'target (issue: main 1,100 ms)',
        target: '<= 1.0',
      });
    }
    // Orders/s at saturation, main before and today in turns, A B B A, as the bridge section does:
    // the dev server's speed drifts within minutes, and the turns share the drift.
    const [offered, busySeconds] = bench.quick ? [6, 6] : [40, 20];
    const rates: Record<'main' | 'today', LoadFigures[]> = { main: [], today: [] };
    for (const turn of ['main', 'today', 'today', 'main'] as const) {
      const load = await ordersUnderLoad(bench, offered, busySeconds, {}, undefined, turn === 'main' ? before : undefined);
      rates[turn].push(load);
      console.error(`[bench]   saturation turn, ${turn}: ${load.fulfilledPerSecond.toFixed(1)} orders/s (bound: ${load.bound})`);
    }
    const fulfilled = (load: LoadFigures) => load.fulfilledPerSecond;
    figures.push({
      name: `orders/s at saturation, today at the defaults (offered ${offered}/s; A B B A; bound: ${rates.today.map((load) => load.bound).join(', ')}; main: ${rates.main.map((load) => load.bound).join(', ')})`,
      value: meanOf(rates.today, fulfilled),
      unit: 'orders/s',
      baseline: meanOf(rates.main, fulfilled),
      baselineName: `main before issue 28, in the same turns (${rates.main.map((load) => load.fulfilledPerSecond.toFixed(1)).join(', ')})`,
      target: '>= 1.5',
      detail: rates,
    });
  },
  async replay(bench, figures) {
    const count = bench.quick ? 1_500 : 8_000;
    const live = await drainBacklog(bench, count);
    const replayed = await replayBacklog(live);
    figures.push({
      name: `oms replay events/s, the same ${count.toLocaleString('en')} events`,
      value: replayed.eventsPerSecond,
      unit: 'events/s',
      baseline: live.eventsPerSecond,
      baselineName: 'live ingest events/s (the drain before it)',
      target: 'for the reader: replay signals running workflows',
    });
  },
  async tracing(bench, figures) {
    // Every role exporting every span (sampler 1.0) to the bench stack's Zipkin, against tracing off, in turns A B B A.
    const traced = { OTEL_TRACES_EXPORTER: 'zipkin', OTEL_EXPORTER_ZIPKIN_ENDPOINT: `${bench.stack.zipkinUrl!}/api/v2/spans`, OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '1.0' };
    const [perRun, rounds] = bench.quick ? [500, 1] : [1_000, 3];
    const bridge: Record<'on' | 'off', BridgeTurn[]> = { on: [], off: [] };
    const ingests = { on: await startBridgeIngest(bench, 64, traced), off: await startBridgeIngest(bench, 64) };
    try {
      await Promise.all([ingests.on.turn(perRun), ingests.off.turn(perRun)]);
      for (let round = 0; round < rounds; round += 1) for (const side of ['on', 'off', 'off', 'on'] as const) bridge[side].push(await ingests[side].turn(perRun));
    } finally {
      await Promise.all([ingests.on.stop(), ingests.off.stop()]);
    }
    console.error(`[bench]   bridge: traced ${eventRates(bridge.on)}; untraced ${eventRates(bridge.off)} events/s`);
    const ingestCpu = (runs: BridgeTurn[]) => meanOf(runs, (run) => run.cpuMsPerEvent.client);
    figures.push({
      name: `ingest events/s, traced (every span to Zipkin), 64 in flight (${rounds * 2} runs each of ${perRun.toLocaleString('en')}; ingest CPU ${ingestCpu(bridge.on).toFixed(2)} ms an event against ${ingestCpu(bridge.off).toFixed(2)})`,
      value: meanOf(bridge.on, eventsPerSecond),
      unit: 'events/s',
      baseline: meanOf(bridge.off, eventsPerSecond),
      baselineName: 'tracing off, same run',
      target: '>= 0.95',
      detail: bridge,
    });
    const [offered, seconds] = bench.quick ? [8, 6] : [40, 20];
    const orders: Record<'on' | 'off', LoadFigures[]> = { on: [], off: [] };
    for (const side of ['on', 'off', 'off', 'on'] as const) orders[side].push(await ordersUnderLoad(bench, offered, seconds, side === 'on' ? traced : {}));
    const fulfilled = (runs: LoadFigures[]) => meanOf(runs, (run) => run.fulfilledPerSecond);
    // CPU ms an event (ingest) and an order (worker): cores used over the rate.
    const cpuMs = (runs: LoadFigures[], role: 'ingest' | 'worker', perOrder: number) => meanOf(runs, (run) => (run.cores[role] * 1_000) / (run.fulfilledPerSecond * perOrder));
    console.error(`[bench]   orders at ${offered}/s offered: traced ${orders.on.map((run) => run.fulfilledPerSecond.toFixed(1)).join(', ')}; untraced ${orders.off.map((run) => run.fulfilledPerSecond.toFixed(1)).join(', ')} orders/s`);
    figures.push({
      name: `orders fulfilled/s at ${offered}/s offered, traced (A B B A; CPU ms: ingest ${cpuMs(orders.on, 'ingest', 2).toFixed(2)} an event against ${cpuMs(orders.off, 'ingest', 2).toFixed(2)}, worker ${cpuMs(orders.on, 'worker', 1).toFixed(1)} an order against ${cpuMs(orders.off, 'worker', 1).toFixed(1)}; p50 ${Math.round(meanOf(orders.on, (run) => run.p50Ms))} ms against ${Math.round(meanOf(orders.off, (run) => run.p50Ms))} ms; bound: ${orders.on.map((run) => run.bound).join(', ')})`,
      value: fulfilled(orders.on),
      unit: 'orders/s',
      baseline: fulfilled(orders.off),
      baselineName: 'tracing off, same run',
      target: '>= 0.95',
      detail: orders,
    });
  },
  async codec(bench, figures) {
    const cost = await codecCost(bench, bench.quick ? 100 : 400);
    const target = 'for the reader: what encryption costs';
    figures.push({ name: 'order.created signal payload, encrypted (AES-256-GCM: nonce, tag, key id)', value: cost.payloadBytes.encrypted, unit: 'bytes', baseline: cost.payloadBytes.plain, baselineName: 'plain JSON', target });
    figures.push({ name: 'signal-with-start p50, one call at a time, encrypted', value: cost.signalP50Ms.encrypted, unit: 'ms', baseline: cost.signalP50Ms.plain, baselineName: 'TEMPORAL_ENCRYPTION=off', target });
    // A rate well below saturation, so the latency is the path's own, not a queue's.
    const [offered, seconds] = bench.quick ? [2, 6] : [2, 30];
    const plain = await ordersUnderLoad(bench, offered, seconds, { TEMPORAL_ENCRYPTION: 'off' });
    const encrypted = await ordersUnderLoad(bench, offered, seconds);
    figures.push({
      name: `order end to end p50 at ${offered}/s, encrypted (p99 ${Math.round(encrypted.p99Ms)} ms against ${Math.round(plain.p99Ms)} ms; worker ${encrypted.cores.worker.toFixed(2)} against ${plain.cores.worker.toFixed(2)} cores)`,
      value: encrypted.p50Ms,
      unit: 'ms',
      baseline: plain.p50Ms,
      baselineName: 'TEMPORAL_ENCRYPTION=off',
      target,
      detail: { cost, plain, encrypted },
    });
  },
  async gateway(bench, figures) {
    const [count, rounds, concurrency] = bench.quick ? [1_000, 1, 32] : [3_000, 2, 32];
    const { gateway, bare } = await gatewayAgainstBareProducer(bench, count, concurrency, rounds);
    const mean = (runs: GatewayLoad[], key: keyof GatewayLoad) => meanOf(runs, (run) => run[key]);
    console.error(`[bench]   gateway ${gateway.map((run) => Math.round(run.perSecond)).join(', ')}/s; bare producer ${bare.map((run) => Math.round(run.perSecond)).join(', ')}/s`);
    const detail = { gateway, bare };
    figures.push({
      name: `gateway webhooks/s to the 202, ${concurrency} concurrent (${rounds * 2} runs each of ${count.toLocaleString('en')}; gateway CPU ${mean(gateway, 'cpuMsEach').toFixed(2)} ms a request)`,
      value: mean(gateway, 'perSecond'),
      unit: '/s',
      baseline: mean(bare, 'perSecond'),
      baselineName: `bare idempotent kafkajs producer, acks=all, ${concurrency} concurrent sends`,
      target: 'for the reader: what the HTTP hop costs',
      detail,
    });
    figures.push({ name: `gateway p50 to the 202 (p99 ${mean(gateway, 'p99Ms').toFixed(1)} ms against ${mean(bare, 'p99Ms').toFixed(1)} ms)`, value: mean(gateway, 'p50Ms'), unit: 'ms', baseline: mean(bare, 'p50Ms'), baselineName: 'bare producer p50 to the acknowledgement', target: 'for the reader' });
  },
  async startup(_bench, figures) {
    const startup = await startupFigures();
    figures.push({ name: `first oms dev install on an empty .cache (${startup.firstInstall.megabytes.toFixed(0)} MB downloaded)`, value: startup.firstInstall.seconds, unit: 's', baseline: startup.secondInstall.seconds, baselineName: 'the second, on the filled cache', target: 'for the reader' });
    const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
    const system = startup.up.system;
    figures.push({
      name: `oms dev up to healthy with the pinned tools (${startup.up.pinned.map((seconds) => seconds.toFixed(1)).join(', ')} s; A B B A)`,
      value: mean(startup.up.pinned),
      unit: 's',
      baseline: typeof system === 'string' ? mean(startup.up.pinned) : mean(system),
      baselineName: typeof system === 'string' ? `the machine's tools: ${system}` : `the machine's java, redis-server and temporal (${system.map((seconds) => seconds.toFixed(1)).join(', ')} s)`,
      target: '<= 1.1',
      detail: startup,
    });
  },
  async memory(bench, figures) {
    const [small, large] = bench.quick ? [2_000, 8_000] : [20_000, 200_000];
    const base = await drainBacklog(bench, small, { rate: false });
    const big = await drainBacklog(bench, large, { rate: false });
    figures.push({ name: `ingest peak RSS, ${large.toLocaleString('en')}-event backlog`, value: big.peakRssMb, unit: 'MB', baseline: base.peakRssMb, baselineName: `${small.toLocaleString('en')}-event backlog`, target: '<= 1.1, and < 250 MB' });
  },
};

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, only: { type: 'string' } } });
  const chosen = values.only ? values.only.split(',') : Object.keys(sections);
  const unknown = chosen.filter((name) => !(name in sections));
  if (unknown.length > 0) throw new Error(`unknown section(s) ${unknown.join(', ')}; choose from ${Object.keys(sections).join(', ')}`);
  hideKnownKafkajsWarning();
  const log = (line: string) => console.error(`[bench] ${line}`);
  const bench = await openBench(values.quick, log);
  const figures: Figure[] = [];
  const started = new Date();
  try {
    for (const name of chosen) {
      log(`${name}…`);
      const before = figures.length;
      await sections[name]!(bench, figures);
      for (const figure of figures.slice(before)) log(`${figure.name}: ${figure.value.toFixed(1)} ${figure.unit} (baseline ${figure.baseline.toFixed(1)})`);
    }
  } finally {
    await bench.close();
  }
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  console.log(`\nPerformance (${values.quick ? 'quick' : 'full'} run, ${machine})\n`);
  console.log('| figure | value | baseline (same run) | ratio | target |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const f of figures) {
    console.log(`| ${f.name} | ${f.value.toFixed(1)} ${f.unit} | ${f.baselineName}: ${f.baseline.toFixed(1)} | ${(f.value / f.baseline).toFixed(2)} | ${f.target} |`);
  }
  const dir = path.resolve(import.meta.dirname, '../../.cache/bench');
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `bench-${started.toISOString().replaceAll(':', '')}.json`);
  await writeFile(file, JSON.stringify({ started: started.toISOString(), quick: values.quick, machine, figures }, null, 2));
  console.log(`\nraw figures: ${path.relative(process.cwd(), file)}`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`bench: ${(error as Error).message}`);
    process.exit(1);
  },
);

import pLimit from 'p-limit';
import { orderEvent, toRecord, type KafkaRecord } from '../../src/dev/standins/events.ts';
import { decodeEvent } from '../../src/event/envelope.ts';
import { routeEvent, routerSettings } from '../../src/router/routes.ts';
import { signalWithStart } from '../../src/signal/signal-with-start.ts';
import { runOms } from '../support/cli.ts';
import { startRole } from '../support/role-process.ts';
import { cpuSeconds, produceBacklog, temporalServerPid, until, type Bench } from './harness.ts';

/** `count` order.created events of distinct orders: each one starts a workflow, the costliest signal-with-start. */
export function newOrders(prefix: string, count: number): KafkaRecord[] {
  return Array.from({ length: count }, (_, i) => toRecord(orderEvent('order.created', `ORD-${prefix}-${i}`)));
}

export interface DrainFigures {
  events: number;
  eventsPerSecond: number;
  /** CPU milliseconds per event of the process that signalled, and of the Temporal server, over the same span. */
  cpuMsPerEvent: { client: number; temporal: number };
  peakRssMb: number;
  /** The instance that drained it, and its inbound topic, for a replay of the same events. */
  env: Record<string, string>;
  topic: string;
}

/**
 * `oms ingest`, alone in its process (or `instances` of them in one group), drains a backlog of `count`
 * events produced before it starts. No worker polls the order queue, so only ingest and the Temporal
 * server work. The rate runs from the first workflow start to the last (see startsPerSecond); the peak
 * RSS is the largest process's high-water mark, start-up included.
 */
export async function drainBacklog(bench: Bench, count: number, { inFlight = 64, rate = true, instances = 1, partitions }: { inFlight?: number; rate?: boolean; instances?: number; partitions?: number } = {}): Promise<DrainFigures> {
  const { id, env, config } = bench.service({}, { INGEST_MAX_IN_FLIGHT: String(inFlight), ...(partitions ? { TOPIC_PARTITIONS: String(partitions) } : {}) });
  await produceBacklog(bench, config, config.topics.orderEvents, newOrders(id, count));
  const ingests = Array.from({ length: instances }, (_, i) => startRole(['ingest'], { ...env, INGEST_INSTANCE_ID: `${id}-ingest-${i}` }));
  try {
    const signalled = async () => (await Promise.all(ingests.map((ingest) => ingest.counter('oms_ingest_events_signalled_total')))).reduce((sum, n) => sum + n, 0);
    await until(signalled, (n) => n > 0, 120_000, 'the first signal');
    const cpu = await cpuMeter(bench, async () => (await Promise.all(ingests.map((ingest) => cpuSeconds(ingest.pid)))).reduce((sum, n) => sum + n, 0));
    const first = await signalled();
    // Polled once a second: each poll makes ingest render its metrics, which is work the bare loop does not do.
    await until(signalled, (n) => n >= count, count * 50 + 60_000, `ingest signalling all ${count} events`, 1_000);
    const cpuMsPerEvent = await cpu.perEvent(count - first);
    // Listing 200,000 workflows takes minutes; the memory figures need no rate.
    const eventsPerSecond = rate ? await startsPerSecond(bench, config.taskQueues.orders, count) : Number.NaN;
    const peakRssMb = Math.max(...(await Promise.all(ingests.map((ingest) => ingest.peakRssMb()))));
    return { events: count, eventsPerSecond, cpuMsPerEvent, peakRssMb, env, topic: config.topics.orderEvents };
  } finally {
    await Promise.all(ingests.map((ingest) => ingest.kill('SIGKILL')));
  }
}

export interface BridgeTurn {
  events: number;
  eventsPerSecond: number;
  cpuMsPerEvent: { client: number; temporal: number };
}

/**
 * One `oms ingest` kept running across the bridge's turns, as operators run it: each turn produces a
 * backlog of `count` new orders all at once (a burst, or ingest back after a pause) and waits until
 * every one is signalled. The bare loop runs in the long-lived bench process, so a fresh ingest per
 * turn would also charge ingest its start-up (connections, the group join, V8 compiling the hot path
 * while it ran), which the loop never pays. The rate is the server's, from this turn's first
 * workflow start to its last; the CPU spans the produce to the last signal.
 */
export async function startBridgeIngest(bench: Bench, inFlight: number, roleEnv: Record<string, string> = {}): Promise<{ turn(count: number): Promise<BridgeTurn>; stop(): Promise<void> }> {
  const { id, env, config } = bench.service({}, { INGEST_MAX_IN_FLIGHT: String(inFlight), ...roleEnv });
  await produceBacklog(bench, config, config.topics.orderEvents, []);
  const ingest = startRole(['ingest'], { ...env, INGEST_INSTANCE_ID: `${id}-ingest` });
  await until(() => fetch(`${ingest.base}/readyz`).then((response) => response.status, () => 0), (status) => status === 200, 120_000, 'ingest ready');
  let turns = 0;
  let signalledBefore = 0;
  return {
    async turn(count) {
      const since = new Date();
      const cpu = await cpuMeter(bench, () => cpuSeconds(ingest.pid));
      await produceBacklog(bench, config, config.topics.orderEvents, newOrders(`${id}-${(turns += 1)}`, count));
      const signalled = () => ingest.counter('oms_ingest_events_signalled_total');
      // Polled once a second: each poll makes ingest render its metrics, which is work the bare loop does not do.
      signalledBefore = await until(signalled, (n) => n >= signalledBefore + count, count * 50 + 60_000, `ingest signalling all ${count} events`, 1_000);
      const cpuMsPerEvent = await cpu.perEvent(count);
      return { events: count, eventsPerSecond: await startsPerSecond(bench, config.taskQueues.orders, count, since), cpuMsPerEvent };
    },
    stop: async () => void (await ingest.kill('SIGKILL')),
  };
}

/**
 * `oms replay` of a drained backlog, as an operator runs it: the whole topic from the beginning, with
 * the same in-flight count. Its rate is the one it reports, from the first event read to the last.
 */
export async function replayBacklog(drained: DrainFigures): Promise<{ events: number; eventsPerSecond: number }> {
  const result = await runOms(['replay', '--topic', drained.topic, '--from', new Date(0).toISOString()], drained.env, drained.events * 50 + 120_000);
  const said = /reprocessed (\d+),.*\((\d+) events\/s over/.exec(result.stdout);
  if (result.code !== 0 || !said) throw new Error(`oms replay failed (exit ${result.code}): ${result.stderr.trim() || result.stdout.trim()}`);
  if (Number(said[1]) !== drained.events) throw new Error(`oms replay reprocessed ${said[1]} of ${drained.events} events: ${result.stdout.trim()}`);
  return { events: drained.events, eventsPerSecond: Number(said[2]) };
}

/** The floor under ingest: the same signal-with-start calls from a plain loop, `inFlight` at once. */
export async function bareSignalWithStart(
  bench: Bench,
  count: number,
  inFlight: number,
): Promise<BridgeTurn> {
  const { id, config } = bench.service();
  const router = routerSettings(config);
  const commands = newOrders(id, count).map((record) =>
    routeEvent(decodeEvent({ key: Buffer.from(record.key), value: Buffer.from(record.value), headers: record.headers }, config.ingest.maxEventBytes), router),
  );
  const limit = pLimit(inFlight);
  const cpu = await cpuMeter(bench, async () => process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6);
  await Promise.all(commands.map((command) => limit(() => signalWithStart(bench.temporal, command))));
  const cpuMsPerEvent = await cpu.perEvent(count);
  return { events: count, eventsPerSecond: await startsPerSecond(bench, config.taskQueues.orders, count), cpuMsPerEvent };
}

/**
 * The rate as the server saw it, the same way for ingest and for the bare loop: every event starts one
 * workflow, on a task queue of the run's own (from `since` on, for a turn of a long-lived ingest), so it
 * is (count - 1) over the span from the first start to the last.
 */
async function startsPerSecond(bench: Bench, taskQueue: string, count: number, since?: Date): Promise<number> {
  const starts: number[] = [];
  const query = `TaskQueue = '${taskQueue}'${since ? ` AND StartTime >= '${since.toISOString()}'` : ''}`;
  await until(
    async () => {
      starts.length = 0;
      for await (const workflow of bench.temporal.workflow.list({ query })) starts.push(workflow.startTime.getTime());
      return starts.length;
    },
    (n) => n >= count,
    60_000,
    `visibility listing the ${count} workflows started`,
    500,
  );
  const span = (Math.max(...starts) - Math.min(...starts)) / 1_000;
  return (count - 1) / span;
}

/** CPU spent from now on by the signalling process (`client`) and by the local Temporal server. */
async function cpuMeter(bench: Bench, client: () => Promise<number>) {
  const serverPid = await temporalServerPid(bench.stack.temporalAddress);
  const server = () => (serverPid === undefined ? Promise.resolve(Number.NaN) : cpuSeconds(serverPid));
  const start = { client: await client(), temporal: await server() };
  return {
    perEvent: async (events: number) => ({
      client: ((await client()) - start.client) * 1_000 / events,
      temporal: ((await server()) - start.temporal) * 1_000 / events,
    }),
  };
}

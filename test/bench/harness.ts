import type { Client } from '@temporalio/client';
import { Kafka, logLevel, Partitioners, type Producer } from 'kafkajs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig, type Config } from '../../src/config/config.ts';
import { endpointsFromEnv, type StackEndpoints } from '../../src/dev/endpoints.ts';
import { ensureTopics } from '../../src/kafka/client.ts';
import { createTemporalClient } from '../../src/temporal/factory.ts';
import { loadKeyRing } from '../../src/temporal/key-ring.ts';
import { uniqueName } from '../support/names.ts';
import { serviceEnv } from '../support/service-env.ts';

/** What every benchmark gets: a stack of the run's own, and clients to it. */
export interface Bench {
  quick: boolean;
  stack: StackEndpoints;
  kafka: Kafka;
  producer: Producer;
  temporal: Client;
  /** Settings of a fresh service instance: its own topics, group and task queues. */
  service(urls?: { storefront?: string; paymentProvider?: string; risk?: string }, extra?: Record<string, string>): { id: string; env: Record<string, string>; config: Config };
  close(): Promise<void>;
}

/**
 * The benchmarks run on a native stack of their own (ports 23000-23007, data in a temporary folder,
 * deleted after): hundreds of thousands of workflows must not land in the developer's `oms dev` data,
 * and the figures must not depend on what that stack holds. With all four endpoints set in the
 * environment (KAFKA_BROKERS, ...), they run on that stack instead.
 */
export async function openBench(quick: boolean, progress: (line: string) => void): Promise<Bench> {
  const given = endpointsFromEnv(process.env);
  const { endpoints, release } = given ? { endpoints: given, release: async () => undefined } : await privateStack(progress);
  const kafka = new Kafka({ clientId: 'oms-bench', brokers: endpoints.kafkaBrokers.split(','), logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const temporal = await createTemporalClient({ address: endpoints.temporalAddress, namespace: 'default', encryption: loadKeyRing({ keysFile: endpoints.temporalKeysFile })! });
  return {
    quick,
    stack: endpoints,
    kafka,
    producer,
    temporal,
    service: (urls = {}, extra = {}) => {
      const id = uniqueName('b');
      const env = { ...serviceEnv(endpoints, id, { storefront: urls.storefront ?? 'http://127.0.0.1:9', paymentProvider: urls.paymentProvider ?? 'http://127.0.0.1:9', risk: urls.risk ?? 'http://127.0.0.1:9' }), ...extra };
      return { id, env, config: loadConfig(env) };
    },
    close: async () => {
      await producer.disconnect();
      await temporal.connection.close();
      await release();
    },
  };
}

async function privateStack(progress: (line: string) => void): Promise<{ endpoints: StackEndpoints; release: () => Promise<void> }> {
  const stateDir = await mkdtemp(path.join(tmpdir(), 'oms-bench-'));
  const ports = ['KAFKA', 'KAFKA_CONTROLLER', 'SCHEMA_REGISTRY', 'SCHEMA_REGISTRY_MANAGEMENT', 'TEMPORAL', 'TEMPORAL_UI', 'REDIS', 'ZIPKIN'];
  process.env.OMS_DEV_STATE_DIR = stateDir;
  ports.forEach((name, offset) => (process.env[`OMS_DEV_${name}_PORT`] = String(23_000 + offset)));
  const { nativeUp, nativeDown } = await import('../../src/dev/native/stack.ts');
  const { endpoints, started } = await nativeUp({ progress });
  return {
    endpoints,
    release: async () => {
      await nativeDown({ only: started, progress });
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

/** Creates the service's topics and writes the records to one of them, in batches, acknowledged by the broker. */
export async function produceBacklog(bench: Bench, config: Config, topic: string, records: { key: string; value: string }[]): Promise<void> {
  const admin = bench.kafka.admin();
  await admin.connect();
  await ensureTopics(admin, [config.topics.orderEvents, config.topics.paymentEvents, config.topics.supportCommands].map((name) => ({ name, partitions: config.topics.partitions }))).finally(() => admin.disconnect());
  for (let at = 0; at < records.length; at += 2_000) {
    await bench.producer.send({ topic, messages: records.slice(at, at + 2_000) });
  }
}

/** Polls `read` until `done` says so; throws after `timeoutMs`. */
export async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number, what: string, intervalMs = 200): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (performance.now() > deadline) throw new Error(`benchmark: ${what} did not happen within ${timeoutMs / 1000} s (last: ${JSON.stringify(value)})`);
    await sleep(intervalMs);
  }
}

export const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;

/** CPU seconds a process has used so far (user + system), from /proc; NaN once it is gone. */
export async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return stat === '' ? Number.NaN : (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}
// USER_HZ: 100 on every Linux this runs on.
const CLOCK_TICKS = 100;

/** The local Temporal dev server serving `address` (host:port), found by its command line; undefined for a remote one. */
export async function temporalServerPid(address: string): Promise<number | undefined> {
  const port = address.split(':').at(-1)!;
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const args = (await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '')).split('\0');
    if (args.includes('start-dev') && args[args.indexOf('--port') + 1] === port) return Number(entry);
  }
  return undefined;
}

/** The machine's busy CPU time so far, in core-seconds, from /proc/stat. */
export async function machineBusySeconds(): Promise<number> {
  const [, ...ticks] = (await readFile('/proc/stat', 'utf8')).split('\n')[0]!.trim().split(/\s+/).map(Number);
  const idle = ticks[3]! + ticks[4]!;
  return (ticks.slice(0, 8).reduce((sum, n) => sum + n, 0) - idle) / CLOCK_TICKS;
}

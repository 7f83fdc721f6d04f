import { createHash } from 'node:crypto';
import { cloudEvent } from '../../src/dev/standins/events.ts';
import { STRUCTURED } from '../../src/gateway/http-binding.ts';
import { signatureHeader } from '../../src/gateway/signature.ts';
import { WEBHOOK_SOURCES } from '../../src/gateway/sources.ts';
import { createIdempotentProducer, ensureTopics } from '../../src/kafka/client.ts';
import { randomPort } from '../support/names.ts';
import { startRole } from '../support/role-process.ts';
import { cpuSeconds, percentile, until, type Bench } from './harness.ts';

export interface LoadFigures {
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU ms a request or message, of the gateway process (0 for the bare loop, which runs in this one). */
  cpuMsEach: number;
}

/** `concurrency` loops taking the next item until none is left; each call's latency is recorded. */
async function closedLoop<T>(items: T[], concurrency: number, call: (item: T) => Promise<void>): Promise<{ seconds: number; latencies: number[] }> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const item = items[next++]!;
        const t0 = performance.now();
        await call(item);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  return { seconds: (performance.now() - started) / 1_000, latencies: latencies.sort((a, b) => a - b) };
}

const figures = (count: number, run: { seconds: number; latencies: number[] }, cpuMsEach = 0): LoadFigures => ({
  perSecond: count / run.seconds,
  p50Ms: percentile(run.latencies, 50),
  p99Ms: percentile(run.latencies, 99),
  cpuMsEach,
});

/**
 * Signed webhooks to an `oms gateway` process until each is answered 202 (Kafka acknowledged it,
 * acks=all), at a fixed concurrency; and, in turns with it (A B B A), the same events written by a
 * bare idempotent kafkajs producer at the same concurrency: what the HTTP hop, the signature and the
 * validation cost over the write itself.
 */
export async function gatewayAgainstBareProducer(bench: Bench, count: number, concurrency: number, rounds: number): Promise<{ gateway: LoadFigures[]; bare: LoadFigures[] }> {
  const secret = 'bench-commerce-secret-0123456789';
  const port = randomPort();
  // The per-source rate limit (500/s by default) would measure itself: lifted, to see the gateway's own speed.
  const { env, config } = bench.service({}, { GATEWAY_PORT: port, GATEWAY_SECRETS: JSON.stringify({ commerce: [secret] }), GATEWAY_RATE_LIMIT_RPS: '1000000', LOG_LEVEL: 'warn' });
  const admin = bench.kafka.admin();
  await admin.connect();
  await ensureTopics(admin, [config.topics.orderEvents].map((name) => ({ name, partitions: config.topics.partitions }))).finally(() => admin.disconnect());
  const gatewayRole = startRole(['gateway'], env);
  const producer = createIdempotentProducer(bench.kafka);
  await producer.connect();
  const url = `http://127.0.0.1:${port}${WEBHOOK_SOURCES.commerce.path}`;
  const scheme = WEBHOOK_SOURCES.commerce.signature;
  const events = (round: number, side: string) =>
    Array.from({ length: count }, (_, i) => {
      const orderId = `ORD-bench-${createHash('sha1').update(`${round}-${side}-${i}`).digest('hex').slice(0, 10)}`;
      const body = JSON.stringify(cloudEvent('order.cancelled', orderId, { orderId, reason: 'bench' }));
      return { orderId, body, signature: signatureHeader(scheme, secret, body) };
    });
  const gateway: LoadFigures[] = [];
  const bare: LoadFigures[] = [];
  try {
    await until(() => fetch(`${gatewayRole.base}/readyz`).then((r) => r.status, () => 0), (status) => status === 200, 60_000, 'gateway ready');
    const viaGateway = async (round: number) => {
      const cpuBefore = await cpuSeconds(gatewayRole.pid);
      const run = await closedLoop(events(round, 'gateway'), concurrency, async (event) => {
        const response = await fetch(url, { method: 'POST', headers: { 'content-type': STRUCTURED, [scheme.header]: event.signature }, body: event.body });
        const text = await response.text();
        if (response.status !== 202) throw new Error(`gateway answered ${response.status}: ${text}`);
      });
      gateway.push(figures(count, run, (((await cpuSeconds(gatewayRole.pid)) - cpuBefore) * 1_000) / count));
    };
    const viaProducer = async (round: number) => {
      const run = await closedLoop(events(round, 'bare'), concurrency, async (event) => {
        await producer.send({ topic: config.topics.orderEvents, acks: -1, messages: [{ key: event.orderId, value: event.body, headers: { 'content-type': STRUCTURED } }] });
      });
      bare.push(figures(count, run));
    };
    // A warm-up of each, unmeasured: the first requests pay for connections and JIT.
    await closedLoop(events(-1, 'warm').slice(0, 200), concurrency, async (event) => {
      await (await fetch(url, { method: 'POST', headers: { 'content-type': STRUCTURED, [scheme.header]: event.signature }, body: event.body })).text();
      await producer.send({ topic: config.topics.orderEvents, acks: -1, messages: [{ key: event.orderId, value: event.body }] });
    });
    for (let round = 0; round < rounds; round += 1) {
      await viaGateway(round * 2);
      await viaProducer(round * 2);
      await viaProducer(round * 2 + 1);
      await viaGateway(round * 2 + 1);
    }
  } finally {
    await producer.disconnect();
    await gatewayRole.kill('SIGTERM');
  }
  return { gateway, bare };
}

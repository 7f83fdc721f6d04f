import fc from 'fast-check';
import type { KafkaMessage } from 'kafkajs';
import { expect, test } from 'vitest';
import { cloudEvent, orderEvent, orderPayload, paymentEventFor } from '../../../src/dev/standins/events.ts';
import { seededOrder } from '../../../src/dev/standins/seed.ts';
import { binaryWebhook, shopifyOrderWebhook, stripePaymentWebhook, structuredWebhook, webhookSender, type Webhook } from '../../../src/dev/webhook-sender.ts';
import { decodeEvent } from '../../../src/event/envelope.ts';
import { SOURCE_NAMES, type SourceName } from '../../../src/gateway/sources.ts';
import { randomPort } from '../../support/names.ts';
import { untilReady, withRoleProcesses } from '../../support/roles.ts';
import { collectTopic } from '../../support/topics.ts';

/**
 * Random and mutated webhooks against an `oms gateway` process on the real stack: well-formed ones
 * with fields replaced, deleted, truncated or with bytes flipped, random JSON and bytes, random media
 * types and headers, signed right, wrong, or not at all. Whatever comes in, the gateway answers
 * 202, 4xx or 503 (never another 5xx), stays up, and what it accepted (and only that) is on the
 * topics, every record of it an event ingest accepts.
 */
const SECRETS: Record<SourceName, string> = { commerce: 'fuzz-commerce-secret-0123456789', payments: 'fuzz-payments-secret-0123456789', support: 'fuzz-support-secret-0123456789' };
const RUNS = 1_200;
const { service, start } = withRoleProcesses();

type Mode = 'structured' | 'binary' | 'provider';

function wellFormed(source: SourceName, mode: Mode, orderId: string): Webhook {
  const order = orderPayload(seededOrder(orderId));
  const event =
    source === 'commerce'
      ? orderEvent('order.created', orderId)
      : source === 'payments'
        ? paymentEventFor('payment.captured', orderId, `PAY-${orderId}`, order.total)
        : cloudEvent('order.reprocess', orderId, { orderId, reason: 'fuzz' });
  if (mode === 'structured') return structuredWebhook(event);
  if (mode === 'binary') return binaryWebhook(event);
  if (source === 'commerce') return shopifyOrderWebhook(order);
  if (source === 'payments') return stripePaymentWebhook('payment.captured', { orderId, paymentId: `PAY-${orderId}`, amount: order.total!, currency: order.currency });
  return { body: JSON.stringify({ orderId, reason: 'fuzz' }), contentType: 'application/json', headers: { 'x-support-event': 'order.reprocess', 'x-support-delivery': `d-${orderId}` } };
}

/** Every path to a value in a JSON document, so a mutation can pick one. */
function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (typeof value !== 'object' || value === null) return [prefix];
  const keys = Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value);
  return [prefix, ...keys.flatMap((key) => paths((value as Record<string | number, unknown>)[key], [...prefix, key]))];
}

type Mutation = { kind: 'replace'; at: number; value: unknown } | { kind: 'delete'; at: number } | { kind: 'truncate'; at: number } | { kind: 'flip'; at: number; byte: number };

function mutate(body: string | Buffer, mutations: Mutation[]): Buffer {
  let bytes = Buffer.from(body);
  for (const mutation of mutations) {
    if (mutation.kind === 'truncate') bytes = bytes.subarray(0, mutation.at % (bytes.length + 1));
    else if (mutation.kind === 'flip') {
      if (bytes.length > 0) bytes[mutation.at % bytes.length] = mutation.byte;
    } else {
      let json: unknown;
      try {
        json = JSON.parse(bytes.toString());
      } catch {
        continue;
      }
      const all = paths(json).filter((path) => path.length > 0);
      if (all.length === 0) continue;
      const path = all[mutation.at % all.length]!;
      const parent = path.slice(0, -1).reduce<unknown>((node, key) => (node as Record<string | number, unknown>)[key], json) as Record<string | number, unknown>;
      if (mutation.kind === 'delete') delete parent[path.at(-1)!];
      else parent[path.at(-1)!] = mutation.value;
      bytes = Buffer.from(JSON.stringify(json));
    }
  }
  return bytes;
}

const printable = fc.stringMatching(/^[\x20-\x7e]{0,40}$/);
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), value: fc.jsonValue({ maxDepth: 2 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
);
const request = fc.record({
  source: fc.constantFrom(...SOURCE_NAMES),
  // Mostly the source's own endpoint (null), sometimes another's.
  target: fc.option(fc.constantFrom(...SOURCE_NAMES), { freq: 4 }),
  order: fc.nat({ max: 40 }),
  body: fc.oneof(
    { weight: 6, arbitrary: fc.record({ mode: fc.constantFrom<Mode>('structured', 'binary', 'provider'), mutations: fc.oneof(fc.constant<Mutation[]>([]), fc.array(mutation, { minLength: 1, maxLength: 3 })) }) },
    { weight: 1, arbitrary: fc.json().map((text) => ({ raw: Buffer.from(text) })) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((raw) => ({ raw: Buffer.from(raw) })) },
  ),
  contentType: fc.oneof(
    { weight: 8, arbitrary: fc.constant(undefined) },
    { weight: 2, arbitrary: fc.constantFrom('application/json', 'application/cloudevents+json', 'application/json; charset=utf-8', 'text/plain', 'application/cloudevents-batch+json', 'multipart/form-data') },
    { weight: 1, arbitrary: printable },
  ),
  extraHeaders: fc.oneof(
    { weight: 3, arbitrary: fc.constant({}) },
    { weight: 1, arbitrary: fc.dictionary(fc.constantFrom('ce-specversion', 'ce-id', 'ce-type', 'ce-subject', 'ce-time', 'x-shopify-topic', 'x-shopify-webhook-id', 'x-support-event', 'x-support-delivery', 'x-other'), printable, { minKeys: 1, maxKeys: 3 }) },
  ),
  signing: fc.constantFrom('right', 'right', 'right', 'right', 'none', 'wrong-secret', 'garbage', 'stale'),
});

test(`${RUNS} random and mutated webhooks: no crash, no 5xx but 503, nothing invalid on the topics, exactly the accepted events there`, { timeout: 240_000 }, async () => {
  const port = randomPort();
  // The rate limit is tested elsewhere; here every request should reach the checks behind it.
  const gateway = start(['gateway'], { GATEWAY_PORT: port, GATEWAY_SECRETS: JSON.stringify(Object.fromEntries(SOURCE_NAMES.map((name) => [name, [SECRETS[name]]]))), GATEWAY_RATE_LIMIT_RPS: '100000' });
  await untilReady(gateway);
  const base = `http://127.0.0.1:${port}`;
  const send = webhookSender(base, SECRETS);
  const statuses = new Map<number, number>();
  const accepted: { id: string; topic: string }[] = [];

  await fc.assert(
    fc.asyncProperty(request, async (r) => {
      const orderId = service().orderId(`fz${r.order}`);
      const origin = 'mode' in r.body ? wellFormed(r.source, r.body.mode, orderId) : { body: r.body.raw, contentType: 'application/json' };
      const body = 'mode' in r.body ? mutate(origin.body, r.body.mutations) : r.body.raw;
      const webhook: Webhook = { body, contentType: r.contentType ?? origin.contentType, headers: { ...origin.headers, ...r.extraHeaders } };
      const options =
        r.signing === 'none' ? { secret: null } : r.signing === 'wrong-secret' ? { secret: 'not-the-secret-0123456789' } : r.signing === 'stale' ? { nowMs: Date.now() - 3_600_000 } : {};
      if (r.signing === 'garbage') webhook.headers = { ...webhook.headers, 'x-shopify-hmac-sha256': '=', 'stripe-signature': 't=x,v1=zz', 'x-signature-256': 'sha256=' };
      const answer = await send(r.target ?? r.source, webhook, r.signing === 'garbage' ? { secret: null } : options);
      statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
      expect([200, 202, 400, 401, 413, 415, 503], `${answer.status} ${JSON.stringify(answer.json)}`).toContain(answer.status);
      // 200 only for a signed provider event of a type the service doesn't handle: written nowhere.
      if (answer.status === 200) expect(answer.json.status).toBe('ignored');
      if (answer.status === 202) accepted.push({ id: String(answer.json.id), topic: String(answer.json.topic) });
    }),
    { numRuns: RUNS, seed: Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31), verbose: 1 },
  );

  console.log(`[figures] fuzz: ${RUNS} requests, answers ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`);
  expect(statuses.get(202) ?? 0, 'some mutated requests are still valid events').toBeGreaterThan(30);
  expect(statuses.get(400) ?? 0).toBeGreaterThan(50);
  expect(gateway.output()).not.toMatch(/webhook failed/);
  expect((await fetch(`${base}/healthz`)).status).toBe(200);

  // On the topics: exactly the accepted events, each one an event ingest accepts.
  const { topics } = service().config;
  const inbound = [topics.orderEvents, topics.paymentEvents, topics.supportCommands];
  const collectors = await Promise.all(inbound.map((topic) => collectTopic(service().kafka, topic)));
  try {
    const expected = inbound.map((topic) => accepted.filter((entry) => entry.topic === topic).length);
    await Promise.all(collectors.map((collector, i) => collector.until((messages) => expect(messages.length).toBeGreaterThanOrEqual(expected[i]!), 30_000)));
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const on = collectors.map((collector) => collector.messages);
    expect(on.map((messages) => messages.length)).toEqual(expected);
    const decoded = (message: KafkaMessage) => decodeEvent({ key: message.key, value: message.value, headers: message.headers }, service().config.ingest.maxEventBytes);
    const ids = on.flat().map((message) => decoded(message).id);
    expect(ids.sort()).toEqual(accepted.map((entry) => entry.id).sort());
  } finally {
    await Promise.all(collectors.map((collector) => collector.stop()));
  }
});

import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { KafkaMessage } from 'kafkajs';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, inject, test, vi } from 'vitest';
import { EVENT_DATA_SCHEMAS, type EventType } from '../../../src/event/catalog.ts';
import { eventSchemaFile } from '../../../src/event/json-schemas.ts';
import { cloudEvent, orderEvent, orderPayload, paymentEventFor } from '../../../src/dev/standins/events.ts';
import { seededOrder } from '../../../src/dev/standins/seed.ts';
import { binaryWebhook, shopifyOrderWebhook, stripePaymentWebhook, structuredWebhook, webhookSender, type WebhookSend } from '../../../src/dev/webhook-sender.ts';
import { loadSourceSecrets } from '../../../src/gateway/secrets.ts';
import { sourceTypes, SOURCE_NAMES, WEBHOOK_SOURCES } from '../../../src/gateway/sources.ts';
import { runOms } from '../../support/cli.ts';
import { blastPosts } from '../../support/http-blast.ts';
import { randomPort, uniqueName } from '../../support/names.ts';
import { startTcpProxy } from '../../support/tcp-proxy.ts';
import { readFulfillments } from '../../support/order-stream.ts';
import { untilReady, withRoleProcesses, type RoleProcess } from '../../support/roles.ts';
import { collectTopic } from '../../support/topics.ts';

/**
 * `oms gateway` as operators run it: a process of its own beside `oms ingest` and `oms worker`
 * processes, on the real stack, at its default settings unless a test says otherwise.
 */
const SECRETS = {
  commerce: ['commerce-old-secret-0123456789', 'commerce-new-secret-0123456789'],
  payments: ['whsec_payments-0123456789abcdef'],
  support: ['support-secret-0123456789abcdef'],
};
const { service, start } = withRoleProcesses();
let gateway: RoleProcess;
let gatewayPort: string;
let base: string;
let send: WebhookSend;

function startGateway(env: Record<string, string> = {}): RoleProcess {
  return start(['gateway'], { GATEWAY_PORT: gatewayPort, GATEWAY_SECRETS: JSON.stringify(SECRETS), LOG_LEVEL: 'debug', ...env });
}

beforeAll(async () => {
  gatewayPort = randomPort();
  base = `http://127.0.0.1:${gatewayPort}`;
  gateway = startGateway();
  const ingest = start(['ingest']);
  const worker = start(['worker']);
  await Promise.all([untilReady(gateway), untilReady(ingest), untilReady(worker, 120_000)]);
  send = webhookSender(base, { commerce: SECRETS.commerce[1], payments: SECRETS.payments[0], support: SECRETS.support[0] });
}, 240_000);

/** The event ids on the service's three inbound topics, once `marker` is there (written after everything else). */
async function idsOnInboundTopics(markerIds: string[]): Promise<Map<string, KafkaMessage[]>> {
  const { topics } = service().config;
  const collectors = await Promise.all([topics.orderEvents, topics.paymentEvents, topics.supportCommands].map((topic) => collectTopic(service().kafka, topic)));
  const idOf = (message: KafkaMessage) => message.headers?.ce_id?.toString() ?? (JSON.parse(message.value!.toString()) as { id: string }).id;
  try {
    await vi.waitFor(
      () => {
        const seen = new Set(collectors.flatMap((collector) => collector.messages.map(idOf)));
        expect(markerIds.filter((id) => !seen.has(id))).toEqual([]);
      },
      { timeout: 30_000, interval: 200 },
    );
    const byId = new Map<string, KafkaMessage[]>();
    for (const message of collectors.flatMap((collector) => collector.messages)) byId.set(idOf(message), [...(byId.get(idOf(message)) ?? []), message]);
    return byId;
  } finally {
    await Promise.all(collectors.map((collector) => collector.stop()));
  }
}

const completed = async (orderId: string) =>
  vi.waitFor(
    async () => {
      const status = await service().orderStatus(orderId);
      expect(status.stage).toBe('completed');
      return status;
    },
    { timeout: 90_000, interval: 500 },
  );

describe('accepted webhooks', () => {
  test('a signed Stripe-style payment, sent first, and a signed Shopify-style order end in one fulfilled order', { timeout: 120_000 }, async () => {
    const orderId = service().orderId('gw-e2e');
    const order = orderPayload(seededOrder(orderId));
    const payment = await send('payments', stripePaymentWebhook('payment.authorized', { orderId, paymentId: `PAY-${orderId}`, amount: order.total!, currency: order.currency }));
    expect(payment.status, JSON.stringify(payment.json)).toBe(202);
    expect(payment.json).toMatchObject({ status: 'accepted', type: 'payment.authorized', orderId, topic: service().config.topics.paymentEvents });
    const created = await send('commerce', shopifyOrderWebhook(order, 'orders/create'));
    expect(created.status, JSON.stringify(created.json)).toBe(202);
    expect(created.json).toMatchObject({ type: 'order.created', orderId, topic: service().config.topics.orderEvents });

    const status = await completed(orderId);
    expect(status.appliedEvents.map((event) => event.eventId)).toContain(created.json.id);
    const fulfillments = await readFulfillments(service().kafka, service().config, uniqueName('gw-fulfilled'));
    expect(fulfillments.filter((record) => record.orderId === orderId)).toHaveLength(1);
  });

  test('CloudEvents in structured and in binary mode are accepted as they are, keyed by the order id; a retried delivery is accepted again', { timeout: 120_000 }, async () => {
    const orderId = service().orderId('gw-ce');
    const created = orderEvent('order.created', orderId);
    const authorized = paymentEventFor('payment.authorized', orderId, `PAY-${orderId}`);
    for (const answer of [await send('commerce', structuredWebhook(created)), await send('payments', binaryWebhook(authorized)), await send('commerce', structuredWebhook(created))]) {
      expect(answer.status, JSON.stringify(answer.json)).toBe(202);
    }
    const onTopics = await idsOnInboundTopics([created.id, authorized.id]);
    // The retry is on the topic twice, and applied once downstream.
    expect(onTopics.get(created.id)).toHaveLength(2);
    for (const message of onTopics.get(created.id)!) {
      expect(message.key?.toString()).toBe(orderId);
      expect(message.value?.toString()).toBe(JSON.stringify(created));
    }
    const [binary] = onTopics.get(authorized.id)!;
    expect(binary!.key?.toString()).toBe(orderId);
    expect(binary!.headers?.ce_type?.toString()).toBe('payment.authorized');
    expect(JSON.parse(binary!.value!.toString())).toEqual(authorized.data);

    const status = await completed(orderId);
    expect(status.appliedEvents.filter((event) => event.eventId === created.id)).toHaveLength(1);
  });
});

test('refused: unsigned, wrong secret, stale timestamp, body changed after signing, invalid event, wrong source, malformed, oversized, wrong media type; none of them is on Kafka', async () => {
  const orderId = service().orderId('gw-refused');
  const order = orderPayload(seededOrder(orderId));
  const refusedIds: string[] = [];
  const event = (type: EventType, data: unknown) => {
    const made = cloudEvent(type, orderId, data);
    refusedIds.push(made.id);
    return made;
  };
  const expectProblem = (answer: Awaited<ReturnType<WebhookSend>>, status: number, code: string) => {
    expect(answer.status, JSON.stringify(answer.json)).toBe(status);
    expect(answer.json).toMatchObject({ status, code });
  };

  expectProblem(await send('commerce', structuredWebhook(event('order.created', order)), { secret: null }), 401, 'missing-signature');
  expectProblem(await send('commerce', structuredWebhook(event('order.created', order)), { secret: 'a-secret-nobody-configured-0123' }), 401, 'bad-signature');
  expectProblem(await send('commerce', structuredWebhook(event('order.created', order)), { secret: SECRETS.payments[0] }), 401, 'bad-signature');
  const stale = stripePaymentWebhook('payment.captured', { orderId, paymentId: 'PAY-stale', amount: 1, currency: 'EUR' });
  refusedIds.push((JSON.parse(stale.body as string) as { id: string }).id);
  expectProblem(await send('payments', stale, { nowMs: Date.now() - 6 * 60_000 }), 401, 'stale-timestamp');
  expectProblem(await send('payments', stale, { nowMs: Date.now() + 6 * 60_000 }), 401, 'stale-timestamp');
  const signed = structuredWebhook(event('order.cancelled', { orderId, reason: 'customer asked' }));
  const changed = (signed.body as string).replace('customer asked', 'customer asked twice');
  expectProblem(await send('commerce', { ...signed, body: changed }, { signAs: signed.body }), 401, 'bad-signature');

  const invalid = await send('commerce', structuredWebhook(event('order.created', { ...order, customer: { ...order.customer, email: 'not-an-email' } })));
  expectProblem(invalid, 400, 'schema-invalid');
  expect(invalid.json.errors).toEqual([expect.objectContaining({ field: 'data.customer.email' })]);
  const provider = await send('payments', stripePaymentWebhook('payment.captured', { orderId, paymentId: 'PAY-x', amount: 'lots' as never, currency: 'EUR' }));
  expectProblem(provider, 400, 'schema-invalid');
  expect(provider.json.errors).toEqual([expect.objectContaining({ field: 'data.object.amount' })]);
  const wrongSource = await send('commerce', structuredWebhook(event('payment.captured', { orderId, paymentId: 'PAY-y', amount: 1, currency: 'EUR' })));
  expectProblem(wrongSource, 400, 'unknown-type');
  expect(wrongSource.json.errors).toEqual([expect.objectContaining({ field: 'type' })]);
  expectProblem(await send('support', { body: '{"specversion": "1.0", "id": ', contentType: 'application/cloudevents+json' }), 400, 'malformed-json');
  expectProblem(await send('support', { body: JSON.stringify(event('order.reprocess', { orderId })), contentType: 'application/cloudevents+json' }), 400, 'schema-invalid');

  const huge = structuredWebhook(event('order.cancelled', { orderId, reason: 'x'.repeat(300_000) }));
  expectProblem(await send('commerce', huge), 413, 'too-large');
  expectProblem(await send('commerce', { ...structuredWebhook(event('order.cancelled', { orderId })), contentType: 'text/plain' }), 415, 'unsupported-media-type');
  expectProblem(await send('commerce', { ...structuredWebhook(event('order.cancelled', { orderId })), contentType: 'application/xml' }), 415, 'unsupported-media-type');

  // One good event per topic after the refused ones: once they are there, anything refused would be too.
  const markers = [cloudEvent('order.cancelled', orderId, { orderId }), paymentEventFor('payment.failed', orderId, 'PAY-marker'), cloudEvent('order.reprocess', orderId, { orderId, reason: 'marker' })];
  for (const marker of markers) expect((await send(marker.type.startsWith('payment.') ? 'payments' : marker.type === 'order.reprocess' ? 'support' : 'commerce', structuredWebhook(marker))).status).toBe(202);
  const onTopics = await idsOnInboundTopics(markers.map((marker) => marker.id));
  expect(refusedIds.filter((id) => onTopics.has(id))).toEqual([]);
  // And nothing of this order but the markers: the refused Stripe-style events had provider ids of their own.
  const ofThisOrder = [...onTopics.values()].flat().filter((message) => message.key?.toString() === orderId);
  expect(ofThisOrder).toHaveLength(markers.length);
});

test('secrets rotate: during the overlap the old and the new commerce secret both work; after it, only the new one; the gateway needs no Temporal settings or keys', { timeout: 120_000 }, async () => {
  const orderId = service().orderId('gw-rotate');
  const withOld = await send('commerce', structuredWebhook(cloudEvent('order.cancelled', orderId, { orderId })), { secret: SECRETS.commerce[0] });
  const withNew = await send('commerce', structuredWebhook(cloudEvent('order.cancelled', orderId, { orderId })), { secret: SECRETS.commerce[1] });
  expect([withOld.status, withNew.status]).toEqual([202, 202]);

  // The operator ends the rotation: the gateway restarts with the new secret only.
  expect(await gateway.kill('SIGTERM')).toBe(0);
  gateway = startGateway({ GATEWAY_SECRETS: JSON.stringify({ ...SECRETS, commerce: [SECRETS.commerce[1]] }), TEMPORAL_ADDRESS: '', TEMPORAL_ENCRYPTION_KEYS_FILE: '' });
  await untilReady(gateway);
  const old = await send('commerce', structuredWebhook(cloudEvent('order.cancelled', orderId, { orderId })), { secret: SECRETS.commerce[0] });
  expect(old.status).toBe(401);
  expect((await send('commerce', structuredWebhook(cloudEvent('order.cancelled', orderId, { orderId })), { secret: SECRETS.commerce[1] })).status).toBe(202);
  expect(gateway.output()).not.toMatch(/payloadEncryption/);
});

test('rate limit per source at the default (500/s): a burst gets 429 with Retry-After, and the other sources are not slowed by it', { timeout: 60_000 }, async () => {
  const { answers, elapsedMs } = await blastPosts(Number(gatewayPort), '/webhooks/support', 1_100, 20);
  const limited = answers.filter((answer) => answer.status === 429);
  const passed = answers.filter((answer) => answer.status !== 429);
  expect(answers).toHaveLength(1_100);
  // Fixed one-second windows: the burst touched at most this many, and each lets 500 through.
  const windows = Math.ceil(elapsedMs / 1_000) + 1;
  console.log(`[figures] support burst of ${answers.length} in ${Math.round(elapsedMs)} ms: ${passed.length} passed (401, unsigned), ${limited.length} × 429`);
  expect(passed.length).toBeLessThanOrEqual(500 * windows);
  expect(limited.length).toBeGreaterThan(0);
  expect(limited.every((answer) => Number(answer.retryAfter) >= 1)).toBe(true);
  expect(new Set(passed.map((answer) => answer.status))).toEqual(new Set([401]));
  const orderId = service().orderId('gw-rate');
  expect((await send('commerce', structuredWebhook(cloudEvent('order.cancelled', orderId, { orderId })))).status).toBe(202);
});

test('rate limit at a low setting (20/s): requests past the 20th in a second get 429 with Retry-After', async () => {
  const port = randomPort();
  const limited = startGateway({ GATEWAY_PORT: port, GATEWAY_RATE_LIMIT_RPS: '20' });
  await untilReady(limited);
  const statuses: number[] = [];
  const startedAt = performance.now();
  for (let i = 0; i < 30; i += 1) {
    const response = await fetch(`http://127.0.0.1:${port}/webhooks/commerce`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    if (response.status === 429) expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    statuses.push(response.status);
  }
  const windows = Math.ceil((performance.now() - startedAt) / 1_000) + 1;
  expect(statuses.filter((status) => status === 401).length).toBeLessThanOrEqual(20 * windows);
  expect(statuses.filter((status) => status === 429).length).toBeGreaterThanOrEqual(30 - 20 * windows);
  expect(statuses.slice(0, 20).every((status) => status === 401)).toBe(true);
  await limited.kill('SIGTERM');
});

test('two gateways sharing the limit through Redis (GATEWAY_RATE_LIMIT_REDIS_URL) count one budget: 20 passed at one leave none for the other in that second', async () => {
  const ports = [randomPort(), randomPort()];
  const shared = { GATEWAY_RATE_LIMIT_RPS: '20', GATEWAY_RATE_LIMIT_REDIS_URL: inject('stack').redisUrl };
  const [first, second] = ports.map((port) => startGateway({ GATEWAY_PORT: port, ...shared }));
  await Promise.all([untilReady(first!), untilReady(second!)]);
  const post = (port: string) => fetch(`http://127.0.0.1:${port}/webhooks/support`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }).then((response) => response.status);
  // The window opens with the first request and lasts a second: all of this fits in it.
  const startedAt = performance.now();
  const atFirst = await Promise.all(Array.from({ length: 20 }, () => post(ports[0]!)));
  const atSecond = await Promise.all(Array.from({ length: 5 }, () => post(ports[1]!)));
  const elapsed = performance.now() - startedAt;
  expect(elapsed).toBeLessThan(1_000);
  expect(atFirst.every((status) => status === 401)).toBe(true);
  expect(atSecond).toEqual([429, 429, 429, 429, 429]);
  // The next window is the second gateway's as much as the first's.
  await new Promise((resolve) => setTimeout(resolve, 1_100));
  expect(await post(ports[1]!)).toBe(401);
  await Promise.all([first!.kill('SIGTERM'), second!.kill('SIGTERM')]);
});

test('two gateways sharing the limit at the default (500/s) count one budget: 300 at each pass 500 in all', { timeout: 60_000 }, async () => {
  const ports = [randomPort(), randomPort()];
  // The count is keyed by the source's topic, and fixed windows open with their first request: a topic of
  // their own, so the window of the test before (same topic, under a second ago) can't split this burst in two.
  const shared = { GATEWAY_RATE_LIMIT_REDIS_URL: inject('stack').redisUrl, TOPIC_SUPPORT_COMMANDS: uniqueName('support-shared-default') };
  const gateways = ports.map((port) => startGateway({ GATEWAY_PORT: port, ...shared }));
  await Promise.all(gateways.map((started) => untilReady(started)));
  // Pipelined, so both halves reach their gateways within the one-second window the first request opens.
  // Counted apart, each gateway would let all of its 300 through.
  const startedAt = performance.now();
  const bursts = await Promise.all(ports.map((port) => blastPosts(Number(port), '/webhooks/support', 300, 10)));
  const elapsed = performance.now() - startedAt;
  const passedAt = bursts.map(({ answers }) => answers.filter((answer) => answer.status !== 429).length);
  console.log(`[figures] 2 × 300 support webhooks at two gateways sharing Redis in ${Math.round(elapsed)} ms: ${passedAt.join(' + ')} passed`);
  expect(elapsed).toBeLessThan(1_000);
  const answers = bursts.flatMap((burst) => burst.answers);
  expect(answers).toHaveLength(600);
  expect(passedAt[0]! + passedAt[1]!).toBe(500);
  expect(answers.filter((answer) => answer.status === 429).every((answer) => Number(answer.retryAfter) >= 1)).toBe(true);
  await Promise.all(gateways.map((started) => started.kill('SIGTERM')));
});

test('a shared limit whose Redis goes away lets webhooks through instead of refusing them, and counts again once it is back', async () => {
  const proxy = await startTcpProxy(new URL(inject('stack').redisUrl).host);
  const port = randomPort();
  const limited = startGateway({ GATEWAY_PORT: port, GATEWAY_RATE_LIMIT_RPS: '5', GATEWAY_RATE_LIMIT_REDIS_URL: `redis://${proxy.address}` });
  try {
    await untilReady(limited);
    const burst = () => Promise.all(Array.from({ length: 15 }, () => fetch(`http://127.0.0.1:${port}/webhooks/support`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }).then((response) => response.status)));
    proxy.cut();
    expect(new Set(await burst())).toEqual(new Set([401]));
    proxy.restore();
    // ioredis reconnects within its backoff (at most 2 s); then the limit holds again.
    await vi.waitFor(async () => expect((await burst()).filter((status) => status === 429).length).toBeGreaterThan(0), { timeout: 15_000, interval: 1_100 });
  } finally {
    await limited.kill('SIGTERM');
    await proxy.close();
  }
});

test('/openapi.json is a valid OpenAPI 3.1 document, in step with the event catalog and the published event schemas', async () => {
  const doc = (await (await fetch(`${base}/openapi.json`)).json()) as {
    paths: Record<string, { post?: { requestBody: { content: Record<string, { schema: { anyOf: { $ref: string }[] } }> } } }>;
    components: { schemas: Record<string, Record<string, unknown>> };
  };
  const validation = await new Validator().validate(doc);
  expect(validation.errors ?? []).toEqual([]);
  expect(validation.valid).toBe(true);

  const catalogTypes = Object.keys(EVENT_DATA_SCHEMAS).sort();
  const documented = SOURCE_NAMES.flatMap((source) => {
    const refs = doc.paths[WEBHOOK_SOURCES[source].path]!.post!.requestBody.content['application/cloudevents+json']!.schema.anyOf.map((entry) => entry.$ref.split('/').at(-1)!);
    expect(refs.sort()).toEqual(sourceTypes(source).sort());
    return refs;
  });
  expect(documented.sort()).toEqual(catalogTypes);
  for (const type of catalogTypes) {
    const published = JSON.parse(await readFile(path.resolve(import.meta.dirname, '../../../schemas/events', eventSchemaFile(type as EventType)), 'utf8')) as Record<string, unknown>;
    // A component carries no dialect or id of its own: the document's apply.
    expect(doc.components.schemas[type], type).toEqual(Object.fromEntries(Object.entries(published).filter(([key]) => key !== '$id' && key !== '$schema')));
  }

  // The document's request schema says what the gateway says: a valid event passes, an invalid one doesn't.
  const ajv = new Ajv2020({ strict: false });
  addFormats.default(ajv);
  ajv.addSchema({ ...doc, $id: 'https://oms.example/openapi.json' });
  const structured = ajv.compile({ $ref: 'https://oms.example/openapi.json#/paths/~1webhooks~1commerce/post/requestBody/content/application~1cloudevents+json/schema' });
  const valid = orderEvent('order.created', service().orderId('gw-doc'));
  expect(structured(valid), JSON.stringify(structured.errors)).toBe(true);
  expect(structured({ ...valid, data: { ...valid.data, customer: { ...valid.data.customer, email: 'not-an-email' } } })).toBe(false);
  expect(structured(paymentEventFor('payment.captured', valid.subject, 'PAY-1'))).toBe(false);
});

test('by default it listens on loopback only, and its logs carry no customer data', async () => {
  const address = Object.values(networkInterfaces()).flat().find((entry) => entry && entry.family === 'IPv4' && !entry.internal)?.address;
  expect(address, 'this test needs a non-loopback IPv4 address on the machine').toBeDefined();
  await expect(fetch(`http://${address}:${gatewayPort}/healthz`)).rejects.toThrow();
  expect((await fetch(`${base}/healthz`)).status).toBe(200);

  const orderId = service().orderId('gw-pii');
  const order = orderPayload(seededOrder(orderId));
  expect((await send('commerce', shopifyOrderWebhook(order))).status).toBe(202);
  expect((await send('commerce', shopifyOrderWebhook({ ...order, customer: { ...order.customer, email: `${order.customer.email}-broken` } }))).status).toBe(400);
  await vi.waitFor(() => expect(gateway.output()).toMatch(/webhook refused: invalid event/), { timeout: 5_000 });
  expect(gateway.output()).toMatch(/webhook accepted/);
  for (const secretOrPii of [order.customer.email, order.customer.name, order.shippingAddress.line1, ...Object.values(SECRETS).flat()]) {
    expect(gateway.output()).not.toContain(secretOrPii);
  }
});

test("the webhook page's curl lines (docs/contract.md), signed with openssl, are accepted", async () => {
  const page = await readFile(path.resolve(import.meta.dirname, '../../../docs/contract.md'), 'utf8');
  const block = /```sh\n(SECRET="\$\(node -p[^]*?)```/.exec(page)?.[1];
  expect(block, 'the signing example in docs/contract.md').toBeDefined();
  // The page reads the local stack's secrets; here, this gateway's, its port, and an order of this test.
  const script = block!
    .replace(/SECRET="\$\(node -p "require\('\.\/\.cache\/data\/gateway-secrets\.json'\)\.(\w+)\[0\]"\)"/g, (_line, source: keyof typeof SECRETS) => `SECRET='${SECRETS[source].at(-1)!}'`)
    .replaceAll('127.0.0.1:8235', `127.0.0.1:${gatewayPort}`)
    .replaceAll('ORD-10042', service().orderId('readme'));
  expect(script).not.toContain('gateway-secrets.json');
  const { stdout } = await promisify(execFile)('bash', ['-c', `set -euo pipefail\n${script}`]);
  expect(stdout.match(/HTTP\/1\.1 202 Accepted/g), stdout).toHaveLength(2);
});

test('oms keys webhook-secrets prints secrets the gateway accepts; --rotate adds a new one first and keeps the rest', async () => {
  const fresh = await runOms(['keys', 'webhook-secrets'], {});
  expect(fresh.code, fresh.stderr).toBe(0);
  const made = loadSourceSecrets({ secrets: fresh.stdout })!;
  expect(Object.keys(made).sort()).toEqual([...SOURCE_NAMES].sort());
  const rotated = await runOms(['keys', 'webhook-secrets', '--rotate', 'payments'], { GATEWAY_SECRETS: JSON.stringify(SECRETS) });
  expect(rotated.code, rotated.stderr).toBe(0);
  const after = loadSourceSecrets({ secrets: rotated.stdout })!;
  expect(after.payments).toHaveLength(2);
  expect(after.payments![1]).toBe(SECRETS.payments[0]);
  expect(after.payments![0]).not.toBe(SECRETS.payments[0]);
  expect(after.commerce).toEqual(SECRETS.commerce);
  expect((await runOms(['keys', 'webhook-secrets', '--rotate', 'billing'], { GATEWAY_SECRETS: JSON.stringify(SECRETS) })).stderr).toMatch(/--rotate: unknown source billing/);
});

describe('config stops start-up with one line naming the variable', () => {
  test.each([
    ['no secrets', { GATEWAY_SECRETS: '' }, /GATEWAY_SECRETS: required, but not set/],
    ['not JSON', { GATEWAY_SECRETS: 'commerce=abc' }, /GATEWAY_SECRETS: expected JSON/],
    ['a short secret', { GATEWAY_SECRETS: '{"commerce": ["too-short"]}' }, /GATEWAY_SECRETS: commerce\.0: a secret is 16 or more characters/],
    ['an unknown source', { GATEWAY_SECRETS: '{"billing": ["billing-secret-0123456789"]}' }, /GATEWAY_SECRETS: expected sources among commerce, payments, support/],
    ['both the value and a file', { GATEWAY_SECRETS_FILE: '/nonexistent' }, /GATEWAY_SECRETS_FILE: set either it or GATEWAY_SECRETS, not both/],
    ['an unreadable file', { GATEWAY_SECRETS: '', GATEWAY_SECRETS_FILE: '/nonexistent/secrets.json' }, /GATEWAY_SECRETS_FILE: cannot read \/nonexistent\/secrets.json \(ENOENT\)/],
    ['no Kafka', { KAFKA_BROKERS: '' }, /KAFKA_BROKERS: required, but not set/],
    ['a shared rate limit whose Redis does not answer', { GATEWAY_RATE_LIMIT_REDIS_URL: 'redis://127.0.0.1:9' }, /GATEWAY_RATE_LIMIT_REDIS_URL: Redis at 127\.0\.0\.1:9 does not answer: ECONNREFUSED/],
  ])('%s', async (_name, env, message) => {
    const result = await runOms(['gateway'], { ...service().env, GATEWAY_SECRETS: JSON.stringify(SECRETS), GATEWAY_PORT: randomPort(), HTTP_PORT: randomPort(), ...env });
    expect(result.code).not.toBe(0);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(result.stderr).not.toContain('too-short');
  });

  test('its port taken', async () => {
    // The gateway of beforeAll listens there; the new one must stop, not live on without its port.
    const result = await runOms(['gateway'], { ...service().env, GATEWAY_SECRETS: JSON.stringify(SECRETS), GATEWAY_PORT: gatewayPort, HTTP_PORT: randomPort() }, 30_000);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([`oms: GATEWAY_PORT: can't listen on 127.0.0.1:${gatewayPort}: the port is in use (EADDRINUSE)`]);
  });
});

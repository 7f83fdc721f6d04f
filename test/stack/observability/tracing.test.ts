import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { KafkaMessage } from 'kafkajs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, test, vi } from 'vitest';
import { orderEvent, orderPayload, paymentEventFor, toRecord } from '../../../src/dev/standins/events.ts';
import { seededCustomer, seededOrder } from '../../../src/dev/standins/seed.ts';
import { structuredWebhook, webhookSender, type WebhookSend } from '../../../src/dev/webhook-sender.ts';
import { WORKER_GROUPS } from '../../../src/service/worker-groups.ts';
import { launchBrowser } from '../../support/browser.ts';
import { randomPort } from '../../support/names.ts';
import { untilReady, withRoleProcesses, type RoleProcess } from '../../support/roles.ts';
import { collectTopic } from '../../support/topics.ts';
import { ancestry, spanNamed, tracesOfOrder, type ZipkinTrace } from '../../support/zipkin.ts';

/**
 * One order, followed across processes as operators run them: `oms gateway`, `oms ingest`, and one
 * `oms worker` per group, each exporting its spans to the stack's Zipkin at the default OTEL settings
 * (batch delay, sampler), read back from Zipkin's API and, at the end, in its UI in a real browser.
 */
const SECRETS = { commerce: ['commerce-secret-0123456789abcd'], payments: ['whsec_payments-0123456789abcdef'], support: ['support-secret-0123456789abcdef'] };
const screenshots = path.resolve(import.meta.dirname, '../../../.cache/test-output/tracing');
const { service, start } = withRoleProcesses();
let zipkin: string;
let send: WebhookSend;
const roles: Record<string, RoleProcess> = {};
let browser: Browser | undefined;

/** Where each role sends its spans, and debug logs: every line a role writes about the order. */
const traced = () => ({ OTEL_TRACES_EXPORTER: 'zipkin', OTEL_EXPORTER_ZIPKIN_ENDPOINT: `${zipkin}/api/v2/spans`, LOG_LEVEL: 'debug', TEMPORAL_SDK_LOG_LEVEL: 'DEBUG' });

beforeAll(async () => {
  const url = inject('stack').zipkinUrl;
  expect(url, 'the stack runs a trace viewer (oms dev up starts Zipkin)').toBeDefined();
  zipkin = url!;
  const gatewayPort = randomPort();
  roles.gateway = start(['gateway'], { ...traced(), GATEWAY_PORT: gatewayPort, GATEWAY_SECRETS: JSON.stringify(SECRETS) });
  roles.ingest = start(['ingest'], traced());
  for (const group of WORKER_GROUPS) roles[group] = start(['worker', '--queues', group], traced());
  await Promise.all(Object.values(roles).map((role) => untilReady(role, 120_000)));
  send = webhookSender(`http://127.0.0.1:${gatewayPort}`, { commerce: SECRETS.commerce[0], payments: SECRETS.payments[0], support: SECRETS.support[0] });
}, 300_000);
afterAll(async () => {
  await browser?.close();
});

const completed = (orderId: string) =>
  vi.waitFor(async () => expect((await service().orderStatus(orderId)).stage).toBe('completed'), { timeout: 60_000, interval: 250 });

const pidOf = (span: { tags?: Record<string, string> }) => Number(span.tags?.['process.pid']);

describe('an order sent as signed webhooks', () => {
  let orderId: string;
  let orderTrace: ZipkinTrace;
  let paymentTrace: ZipkinTrace;
  let fulfillment: KafkaMessage;

  beforeAll(async () => {
    orderId = service().orderId('traced');
    const fulfillments = await collectTopic(service().kafka, service().config.topics.fulfillment);
    try {
      expect((await send('commerce', structuredWebhook(orderEvent('order.created', orderId)))).status).toBe(202);
      expect((await send('payments', structuredWebhook(paymentEventFor('payment.captured', orderId, `PAY-${orderId}`)))).status).toBe(202);
      await completed(orderId);
      await vi.waitFor(() => expect(fulfillments.messages.find((message) => message.key?.toString() === orderId)).toBeDefined(), { timeout: 30_000, interval: 100 });
      fulfillment = fulfillments.messages.find((message) => message.key?.toString() === orderId)!;
    } finally {
      await fulfillments.stop();
    }
    const fulfillmentSpan = `send ${service().config.topics.fulfillment}`;
    // Each process exports every 5 s (OTEL_BSP_SCHEDULE_DELAY's default): wait until both traces are whole.
    await vi.waitFor(
      async () => {
        const traces = await tracesOfOrder(zipkin, orderId);
        orderTrace = traces.find((trace) => spanNamed(trace, fulfillmentSpan) && spanNamed(trace, 'event paymentValidated'))!;
        paymentTrace = traces.find((trace) => spanNamed(trace, 'POST /webhooks/payments') && spanNamed(trace, 'HandleSignal:paymentValidated'))!;
        expect(orderTrace).toBeDefined();
        expect(paymentTrace).toBeDefined();
        expect(spanNamed(orderTrace, 'POST /webhooks/commerce')).toBeDefined();
      },
      { timeout: 60_000, interval: 1_000 },
    );
  }, 180_000);

  test('ends in one trace, from the webhook to the fulfilment produce, across the gateway, ingest and the workers', () => {
    const topics = service().config.topics;
    const chain = ancestry(orderTrace, spanNamed(orderTrace, `send ${topics.fulfillment}`)!);
    expect(chain).toEqual(
      [
        'POST /webhooks/commerce',
        `send ${topics.orderEvents}`,
        `process ${topics.orderEvents}`,
        'SignalWithStartWorkflow:OrderProcessingWorkflow',
        'RunWorkflow:OrderProcessingWorkflow',
        'StartActivity:publishCompletion',
        'RunActivity:publishCompletion',
        `send ${topics.fulfillment}`,
      ].map((name) => name.toLowerCase()),
    );
    const root = spanNamed(orderTrace, 'POST /webhooks/commerce')!;
    expect(root.parentId).toBeUndefined();
    expect(root.kind).toBe('SERVER');
    expect(spanNamed(orderTrace, `process ${topics.orderEvents}`)!.kind).toBe('CONSUMER');
    expect(spanNamed(orderTrace, `send ${topics.fulfillment}`)!.kind).toBe('PRODUCER');
    // The wait for a storefront limiter slot is an event on the activity's span.
    expect(spanNamed(orderTrace, 'RunActivity:checkOrder')!.annotations?.map((annotation) => annotation.value)).toContain('storefront limiter slot');
    // Storefront calls are HTTP client spans of the storefront worker.
    const storefrontCalls = orderTrace.filter((span) => span.kind === 'CLIENT' && pidOf(span) === roles.storefront!.pid);
    expect(storefrontCalls.length).toBeGreaterThan(0);
    expect(storefrontCalls.every((span) => span.tags?.['url.full']?.startsWith(service().storefront.url))).toBe(true);

    // Spans from the gateway, ingest, the workflow worker and the activity workers, each told apart by its resource attributes.
    const pids = new Set(orderTrace.map(pidOf));
    for (const role of ['gateway', 'ingest', 'workflows', 'storefront', 'fulfillment'] as const) expect(pids, role).toContain(roles[role]!.pid);
    expect(pidOf(spanNamed(orderTrace, 'POST /webhooks/commerce')!)).toBe(roles.gateway!.pid);
    expect(pidOf(spanNamed(orderTrace, 'RunWorkflow:OrderProcessingWorkflow')!)).toBe(roles.workflows!.pid);
    expect(pidOf(spanNamed(orderTrace, `send ${topics.fulfillment}`)!)).toBe(roles.fulfillment!.pid);
    expect(new Set(orderTrace.map((span) => span.tags?.['oms.role']))).toEqual(new Set(['gateway', 'ingest', 'worker']));
    expect(new Set(orderTrace.map((span) => span.localEndpoint?.serviceName))).toEqual(new Set(['oms']));

    // Every span names the order.
    for (const trace of [orderTrace, paymentTrace]) for (const span of trace) expect(span.tags?.['order.id'], span.name).toBe(orderId);
  });

  test('the payment webhook has a trace of its own, linked to the order trace both ways', () => {
    const orderTraceId = orderTrace[0]!.traceId;
    const paymentTraceId = paymentTrace[0]!.traceId;
    expect(paymentTraceId).not.toBe(orderTraceId);
    expect(spanNamed(paymentTrace, 'POST /webhooks/payments')!.parentId).toBeUndefined();
    // Where the order workflow handles the payment's signal: the signal's span names the order's trace,
    // and the order's trace gets a span naming the payment's (the span links themselves are in OTLP; Zipkin keeps none).
    expect(spanNamed(paymentTrace, 'HandleSignal:paymentValidated')!.tags?.['oms.order.trace_id']).toBe(orderTraceId);
    expect(spanNamed(orderTrace, 'event paymentValidated')!.tags?.['oms.event.trace_id']).toBe(paymentTraceId);
  });

  test("the fulfilment record's traceparent header belongs to the order's trace, at its produce span", () => {
    const produce = spanNamed(orderTrace, `send ${service().config.topics.fulfillment}`)!;
    expect(fulfillment.headers?.traceparent?.toString()).toBe(`00-${produce.traceId}-${produce.id}-01`);
  });

  test("every process logs about the order inside its spans, and those lines carry the order's trace ids", () => {
    const traceIds = new Set([orderTrace[0]!.traceId, paymentTrace[0]!.traceId]);
    for (const [name, role] of Object.entries(roles)) {
      // The SDK's "Activity started" and "Workflow started" come before the span opens, and carry no trace.
      const inSpans = role
        .output()
        .split('\n')
        .filter((line) => line.startsWith('{') && line.includes(orderId) && line.includes('"trace_id"'))
        .map((line) => JSON.parse(line) as { trace_id: string; span_id?: string; msg: string });
      expect(inSpans.length, `${name} logged about the order inside a span`).toBeGreaterThan(0);
      for (const fields of inSpans) {
        expect(traceIds.has(fields.trace_id), `${name}: ${fields.msg}`).toBe(true);
        expect(fields.span_id, `${name}: ${fields.msg}`).toMatch(/^[0-9a-f]{16}$/);
      }
    }
  });

  test("no span carries the customer's email, name or address", () => {
    const order = orderPayload(seededOrder(orderId));
    const customer = seededCustomer(order.customer.id)!;
    const exported = JSON.stringify([orderTrace, paymentTrace]);
    const personal = [customer.email, customer.name, ...customer.name.split(' '), order.shippingAddress.line1, order.shippingAddress.city, order.shippingAddress.postalCode];
    for (const value of personal.filter((text) => text.length > 3)) expect(exported, value).not.toContain(value);
    // The order and customer ids are there: ids and codes are what spans carry.
    expect(exported).toContain(orderId);
  });

  test('the trace viewer shows the trace, with spans from the gateway, ingest, the workflow, an activity and the fulfilment publish', { timeout: 120_000 }, async () => {
    browser = await launchBrowser();
    await mkdir(screenshots, { recursive: true });
    const page = await browser.newPage({ viewport: { width: 1600, height: 1100 } });
    await page.goto(`${zipkin}/zipkin/traces/${orderTrace[0]!.traceId}`);
    const topics = service().config.topics;
    const expected = ['POST /webhooks/commerce', `process ${topics.orderEvents}`, 'RunWorkflow:OrderProcessingWorkflow', 'RunActivity:checkOrder', `send ${topics.fulfillment}`].map((name) => name.toLowerCase());
    for (const name of expected) await page.getByText(name, { exact: false }).first().waitFor({ timeout: 30_000 });
    await page.screenshot({ path: path.join(screenshots, 'order-trace.png'), fullPage: true });
    const text = (await page.locator('body').innerText()).toLowerCase();
    for (const name of expected) expect(text).toContain(name);
  });
});

test('an order produced straight to Kafka with a traceparent header continues that trace', { timeout: 120_000 }, async () => {
  const orderId = service().orderId('kafka-traced');
  const traceId = randomBytes(16).toString('hex');
  const parentSpanId = randomBytes(8).toString('hex');
  const record = toRecord(orderEvent('order.created', orderId));
  await service().produce(service().config.topics.orderEvents, [{ ...record, headers: { ...record.headers, traceparent: `00-${traceId}-${parentSpanId}-01` } }]);
  await vi.waitFor(async () => expect((await service().orderStatus(orderId)).stage).toBe('awaiting-payment'), { timeout: 60_000, interval: 250 });
  await vi.waitFor(
    async () => {
      const trace = (await tracesOfOrder(zipkin, orderId)).find((each) => spanNamed(each, `process ${service().config.topics.orderEvents}`));
      expect(trace?.[0]?.traceId).toBe(traceId);
      const consumed = spanNamed(trace!, `process ${service().config.topics.orderEvents}`);
      expect(consumed?.parentId).toBe(parentSpanId);
      expect(spanNamed(trace!, 'RunActivity:checkOrder')).toBeDefined();
    },
    { timeout: 60_000, interval: 1_000 },
  );
});

test('a dead-lettered record keeps its traceparent, and its trace shows why', { timeout: 120_000 }, async () => {
  const { topics } = service().config;
  const traceId = randomBytes(16).toString('hex');
  const traceparent = `00-${traceId}-${randomBytes(8).toString('hex')}-01`;
  const orderId = service().orderId('poison-traced');
  const dlq = await collectTopic(service().kafka, `${topics.orderEvents}.dlq`);
  try {
    await service().produce(topics.orderEvents, [{ key: orderId, value: '{"not": "a cloudevent"', headers: { 'content-type': 'application/cloudevents+json', traceparent } }]);
    await vi.waitFor(() => expect(dlq.messages.find((message) => message.key?.toString() === orderId)).toBeDefined(), { timeout: 30_000, interval: 100 });
    expect(dlq.messages.find((message) => message.key?.toString() === orderId)!.headers?.traceparent?.toString()).toBe(traceparent);
  } finally {
    await dlq.stop();
  }
  await vi.waitFor(
    async () => {
      const trace = (await tracesOfOrder(zipkin, orderId)).find((each) => each[0]?.traceId === traceId);
      const consumed = spanNamed(trace ?? [], `process ${topics.orderEvents}`);
      expect(consumed?.tags).toMatchObject({ 'oms.outcome': 'dead-lettered', 'oms.dlq.reason': 'malformed-json' });
    },
    { timeout: 30_000, interval: 1_000 },
  );
});

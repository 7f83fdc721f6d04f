import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { orderEvent, paymentEventFor } from '../../../src/dev/standins/events.ts';
import { structuredWebhook, webhookSender } from '../../../src/dev/webhook-sender.ts';
import { runOms } from '../../support/cli.ts';
import { randomPort } from '../../support/names.ts';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../../support/otlp-receiver.ts';
import { untilReady, withRoleProcesses, type RoleProcess } from '../../support/roles.ts';

/**
 * The OTLP side of tracing, as a collector receives it from `oms` processes: each of the three
 * transports, the resource attributes that tell processes apart, the span links that join an order's
 * traces (Zipkin keeps none), and sampling decided once, at the root.
 */
const SECRETS = { commerce: ['commerce-secret-0123456789abcd'], payments: ['whsec_payments-0123456789abcdef'] };
const { service, start } = withRoleProcesses();
let receiver: OtlpReceiver;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
});
afterAll(async () => {
  await receiver?.close();
});

type Protocol = 'grpc' | 'http/protobuf' | 'http/json';
const otlp = (protocol: Protocol, extra: Record<string, string> = {}) => ({
  OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
  OTEL_EXPORTER_OTLP_ENDPOINT: protocol === 'grpc' ? receiver.grpcEndpoint : receiver.httpEndpoint,
  ...extra,
});

function startGateway(env: Record<string, string>): { gateway: RoleProcess; send: ReturnType<typeof webhookSender> } {
  const port = randomPort();
  const gateway = start(['gateway'], { ...env, GATEWAY_PORT: port, GATEWAY_SECRETS: JSON.stringify(SECRETS) });
  return { gateway, send: webhookSender(`http://127.0.0.1:${port}`, { commerce: SECRETS.commerce[0], payments: SECRETS.payments[0] }) };
}

const spansOf = (orderId: string) => receiver.spans.filter((span) => span.attributes['order.id'] === orderId);
/** The order's spans but those of the test's own status queries (each a trace of its own, sampled at its root like any other). */
const eventSpansOf = (orderId: string) => spansOf(orderId).filter((span) => !span.name.startsWith('HandleQuery:'));
const named = (spans: ReceivedSpan[], name: string) => spans.find((span) => span.name === name);

test.each(['grpc', 'http/protobuf', 'http/json'] as const)('spans reach an OTLP collector over %s, with the resource attributes that tell processes apart, and are flushed on SIGTERM', async (protocol) => {
  const { gateway, send } = startGateway(otlp(protocol, { OTEL_SERVICE_NAME: 'oms-under-test', OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=ci,team=orders%20team' }));
  await untilReady(gateway);
  const orderId = service().orderId(`otlp-${protocol.replace('/', '-')}`);
  // The sender traces: the gateway's span continues its context.
  const [senderTrace, senderSpan] = [randomBytes(16).toString('hex'), randomBytes(8).toString('hex')];
  const webhook = structuredWebhook(orderEvent('order.created', orderId));
  expect((await send('commerce', { ...webhook, headers: { traceparent: `00-${senderTrace}-${senderSpan}-01` } })).status).toBe(202);
  // Well inside the 5 s batch delay: what is queued goes out as the process stops.
  expect(await gateway.kill('SIGTERM')).toBe(0);
  await vi.waitFor(() => expect(named(spansOf(orderId), 'POST /webhooks/commerce')).toBeDefined(), { timeout: 10_000, interval: 100 });
  const server = named(spansOf(orderId), 'POST /webhooks/commerce')!;
  expect(server.transport).toBe(protocol);
  expect(server).toMatchObject({ kind: 2, traceId: senderTrace, parentSpanId: senderSpan });
  expect(server.resource).toMatchObject({ 'service.name': 'oms-under-test', 'oms.role': 'gateway', 'process.pid': gateway.pid, 'deployment.environment.name': 'ci', team: 'orders team' });
  expect(server.resource['service.instance.id']).toEqual(expect.any(String));
  const produce = named(spansOf(orderId), `send ${service().config.topics.orderEvents}`)!;
  expect(produce).toMatchObject({ traceId: server.traceId, parentSpanId: server.spanId, kind: 4 });
  expect(produce.attributes).toMatchObject({ 'messaging.system': 'kafka', 'messaging.destination.name': service().config.topics.orderEvents, 'messaging.operation.type': 'send' });
});

describe('an order and its payment, every role exporting OTLP (http/protobuf, the default transport)', () => {
  let roles: RoleProcess[] = [];
  afterAll(async () => {
    await Promise.all(roles.map((role) => role.kill('SIGTERM')));
  });

  test("the order's trace and the payment's are joined by span links, both ways", { timeout: 180_000 }, async () => {
    const env = otlp('http/protobuf');
    const { gateway, send } = startGateway(env);
    roles = [gateway, start(['ingest'], env), start(['worker'], env)];
    await Promise.all(roles.map((role) => untilReady(role, 120_000)));
    const orderId = service().orderId('otlp-linked');
    expect((await send('commerce', structuredWebhook(orderEvent('order.created', orderId)))).status).toBe(202);
    expect((await send('payments', structuredWebhook(paymentEventFor('payment.captured', orderId, `PAY-${orderId}`)))).status).toBe(202);
    await vi.waitFor(async () => expect((await service().orderStatus(orderId)).stage).toBe('completed'), { timeout: 60_000, interval: 250 });
    await vi.waitFor(
      () => {
        expect(named(spansOf(orderId), 'event paymentValidated')).toBeDefined();
        expect(named(spansOf(orderId), 'HandleSignal:paymentValidated')).toBeDefined();
        expect(named(spansOf(orderId), 'POST /webhooks/payments')).toBeDefined();
        expect(named(spansOf(orderId), 'RunWorkflow:OrderProcessingWorkflow')).toBeDefined();
      },
      { timeout: 30_000, interval: 250 },
    );
    const spans = spansOf(orderId);
    const orderRun = named(spans, 'RunWorkflow:OrderProcessingWorkflow')!;
    const paymentTraceId = named(spans, 'POST /webhooks/payments')!.traceId;
    expect(named(spans, 'POST /webhooks/commerce')!.traceId).toBe(orderRun.traceId);
    expect(paymentTraceId).not.toBe(orderRun.traceId);
    // The payment's signal, in the payment's trace, links to the order's run ...
    const signal = named(spans, 'HandleSignal:paymentValidated')!;
    expect(signal.traceId).toBe(paymentTraceId);
    expect(signal.links).toEqual([expect.objectContaining({ traceId: orderRun.traceId, spanId: orderRun.spanId })]);
    // ... and the order's trace has a span that links back to it.
    const event = named(spans, 'event paymentValidated')!;
    expect(event).toMatchObject({ traceId: orderRun.traceId, parentSpanId: orderRun.spanId });
    expect(event.links).toEqual([expect.objectContaining({ traceId: signal.traceId, spanId: signal.spanId })]);

    // `oms replay` of that order: a trace of its own per event, linked to the context its record carries (the gateway's produce).
    const produced = named(spans, `send ${service().config.topics.orderEvents}`)!;
    const replay = await runOms(['replay', '--topic', service().config.topics.orderEvents, '--from', new Date(Date.now() - 600_000).toISOString(), '--order', orderId], { ...service().env, ...env });
    expect(replay.code, replay.stderr).toBe(0);
    const replayed = named(spansOf(orderId), `replay ${service().config.topics.orderEvents}`)!;
    expect(replayed.parentSpanId).toBeUndefined();
    expect(replayed.traceId).not.toBe(produced.traceId);
    expect(replayed.links).toEqual([expect.objectContaining({ traceId: produced.traceId, spanId: produced.spanId })]);
    expect(replayed.resource['oms.role']).toBe('operator');
  });
});

describe('sampling at 0.1 (parentbased_traceidratio), on every role', () => {
  const ORDERS = 100;
  let roles: RoleProcess[] = [];
  afterAll(async () => {
    await Promise.all(roles.map((role) => role.kill('SIGTERM')));
  });

  test('exports about a tenth of the orders, each trace whole: the decision is made once, at the root', { timeout: 240_000 }, async () => {
    const env = otlp('http/json', { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' });
    const { gateway, send } = startGateway(env);
    roles = [gateway, start(['ingest'], env), start(['worker'], env)];
    await Promise.all(roles.map((role) => untilReady(role, 120_000)));
    const orderIds = Array.from({ length: ORDERS }, (_, n) => service().orderId(`sampled-${n}`));
    for (const orderId of orderIds) {
      expect((await send('commerce', structuredWebhook(orderEvent('order.created', orderId)))).status).toBe(202);
      expect((await send('payments', structuredWebhook(paymentEventFor('payment.captured', orderId, `PAY-${orderId}`)))).status).toBe(202);
    }
    // A workflow's run span ends with the run: the traces are whole once the orders are complete, and exported once the roles stop.
    for (const orderId of orderIds) await vi.waitFor(async () => expect((await service().orderStatus(orderId)).stage).toBe('completed'), { timeout: 120_000, interval: 250 });
    await Promise.all(roles.map((role) => role.kill('SIGTERM')));

    const traces = Map.groupBy(
      orderIds.flatMap((orderId) => eventSpansOf(orderId)),
      (span) => span.traceId,
    );
    const roots = (spans: ReceivedSpan[]) => spans.filter((span) => span.parentSpanId === undefined).map((span) => span.name);
    const orderTraces = [...traces.values()].filter((spans) => roots(spans).includes('POST /webhooks/commerce'));
    // 10 expected; 1 to 30 of 100 leaves a chance of about 1 in 30,000 of a false alarm.
    expect(orderTraces.length).toBeGreaterThanOrEqual(1);
    expect(orderTraces.length).toBeLessThanOrEqual(30);
    for (const spans of orderTraces) {
      for (const name of [`process ${service().config.topics.orderEvents}`, 'RunWorkflow:OrderProcessingWorkflow', 'RunActivity:checkOrder', `send ${service().config.topics.fulfillment}`]) expect(named(spans, name), name).toBeDefined();
    }
    // Whole: each exported trace, an order's or a payment's, has its one root at the gateway, and every span's parent is there too.
    for (const [traceId, spans] of traces) {
      expect(roots(spans), traceId).toHaveLength(1);
      expect(roots(spans)[0], traceId).toMatch(/^POST \/webhooks\//);
      const ids = new Set(spans.map((span) => span.spanId));
      for (const span of spans) if (span.parentSpanId) expect(ids.has(span.parentSpanId), `${traceId}: parent of ${span.name}`).toBe(true);
    }
    // The queries' traces are sampled at their root too: about a tenth of them, not all.
    const queried = orderIds.filter((orderId) => spansOf(orderId).some((span) => span.name.startsWith('HandleQuery:')));
    expect(queried.length).toBeLessThan(ORDERS / 2);
  });
});

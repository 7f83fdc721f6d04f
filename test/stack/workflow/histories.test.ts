import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { Worker } from '@temporalio/worker';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { afterAll, beforeAll, expect, test, vi } from 'vitest';
import type { OrderStatusChangedRecord } from '../../../src/avro/schemas.ts';
import { cloudEvent, orderEvent, paymentEventFor, toRecord } from '../../../src/dev/standins/events.ts';
import { seededOrder } from '../../../src/dev/standins/seed.ts';
import { payloadCodec, temporalSettings } from '../../../src/temporal/factory.ts';
import { exportHistory } from '../../../src/temporal/history-export.ts';
import { orderWorkflowId, paymentWorkflowId, type OrderStage } from '../../../src/contract/workflows.ts';
import { runOms } from '../../support/cli.ts';
import { startTestService, type TestService } from '../../support/service.ts';
import { readTopic } from '../../support/topics.ts';

/**
 * Each kind of order the workflows run today, driven on the real stack and exported with
 * `exportHistory` (what `oms history export` does). Every run replays its exported, decrypted
 * histories against the code; with OMS_SAVE_HISTORIES=<label> it also saves them under
 * test/logic/histories/<label>/, where the logic suite replays them against every later version.
 */
const saveAs = process.env.OMS_SAVE_HISTORIES;
const historiesDir = fileURLToPath(new URL('../../logic/histories/', import.meta.url));
const workflowsPath = fileURLToPath(new URL('../../../src/workflow/index.ts', import.meta.url));

let service: TestService;
let registry: SchemaRegistry;
beforeAll(async () => {
  // A failed payment waits this long for the customer to pay again (default: an hour).
  service = await startTestService({ env: { PAYMENT_RETRY_WINDOW_MS: '10000' } });
  registry = new SchemaRegistry({ host: service.config.schemaRegistry.url! });
});
afterAll(async () => {
  await service?.stop();
});

const until = (check: () => Promise<void>, timeout = 90_000) => vi.waitFor(check, { timeout, interval: 250 });
const reaches = (orderId: string, stage: OrderStage) => until(async () => expect((await service.orderStatus(orderId)).stage).toBe(stage));
const produceOrder = (orderId: string, type: 'order.created' | 'order.updated' = 'order.created') =>
  service.produce(service.config.topics.orderEvents, [toRecord(orderEvent(type, orderId))]);
const producePayment = (orderId: string, type: Parameters<typeof paymentEventFor>[0]) =>
  service.produce(service.config.topics.paymentEvents, [toRecord(paymentEventFor(type, orderId, `PAY-${orderId}`))]);
const put = (url: string, body: object) => fetch(url, { method: 'PUT', body: JSON.stringify(body) });

/** Exports the latest run of each workflow, replays it against the code, and saves it when asked. */
async function recordScenario(scenario: string, workflowIds: string[]) {
  const settings = temporalSettings(service.config);
  const codec = settings.encryption === 'off' ? undefined : payloadCodec(settings.encryption);
  for (const workflowId of workflowIds) {
    const json = await exportHistory(service.temporal, codec, workflowId);
    const text = JSON.stringify(json);
    expect(text).not.toContain(Buffer.from('binary/encrypted').toString('base64'));
    await Worker.runReplayHistory({ workflowsPath, replayName: scenario }, historyFromJSON(json), workflowId);
    if (saveAs) {
      const file = path.join(historiesDir, saveAs, `${scenario}.${workflowId.split('-')[0]}.json`);
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, `${JSON.stringify(json, null, 1)}\n`);
    }
  }
}

test('normal: order, then its payment; completed', async () => {
  const orderId = service.orderId('normal');
  await produceOrder(orderId);
  await producePayment(orderId, 'payment.captured');
  await reaches(orderId, 'completed');
  await recordScenario('normal', [orderWorkflowId(orderId), paymentWorkflowId(orderId)]);
});

test('payment first: the payment starts the workflow, the order follows; completed', async () => {
  const orderId = service.orderId('payfirst');
  await producePayment(orderId, 'payment.authorized');
  await until(async () => expect((await service.orderStatus(orderId)).payment.status).toBe('validated'));
  await produceOrder(orderId);
  await reaches(orderId, 'completed');
  await recordScenario('payment-first', [orderWorkflowId(orderId)]);
});

test('invalid, then corrected: INVALID, a correction, completed', async () => {
  const orderId = service.orderId('corrected');
  const seeded = seededOrder(orderId)!;
  await put(`${service.storefront.url}/orders/${orderId}`, { ...seeded, lines: [{ ...seeded.lines[0]!, quantity: 0 }] });
  await produceOrder(orderId);
  await reaches(orderId, 'awaiting-correction');
  await put(`${service.storefront.url}/orders/${orderId}`, seeded);
  await produceOrder(orderId, 'order.updated');
  await producePayment(orderId, 'payment.authorized');
  await reaches(orderId, 'completed');
  await recordScenario('invalid-then-corrected', [orderWorkflowId(orderId)]);
});

test('cancelled with compensation: cancelled while allocation is stuck; released, voided', async () => {
  const orderId = service.orderId('cancelled');
  await fetch(`${service.storefront.url}/_faults`, { method: 'POST', body: JSON.stringify({ method: 'POST', pathPrefix: '/reservations', status: 503, afterApplying: true }) });
  try {
    await produceOrder(orderId);
    await producePayment(orderId, 'payment.authorized');
    await reaches(orderId, 'allocating');
    await service.produce(service.config.topics.orderEvents, [toRecord(cloudEvent('order.cancelled', orderId, { orderId, reason: 'customer changed their mind' }))]);
    await reaches(orderId, 'cancelled');
  } finally {
    await fetch(`${service.storefront.url}/_faults`, { method: 'DELETE' });
  }
  expect((await service.orderStatus(orderId)).history.filter((step) => step.outcome === 'ok').map((step) => step.step)).toContain('void payment');
  await recordScenario('cancelled-with-compensation', [orderWorkflowId(orderId)]);
});

test('payment failed: not made again within the window, the order is cancelled', async () => {
  const orderId = service.orderId('payfailed');
  await put(`${service.paymentProvider.url}/payments/PAY-${orderId}`, { orderId, status: 'failed', reason: 'card declined' });
  await produceOrder(orderId);
  await producePayment(orderId, 'payment.failed');
  await reaches(orderId, 'cancelled');
  await recordScenario('payment-failed', [orderWorkflowId(orderId), paymentWorkflowId(orderId)]);
});

test('payment pending, then settled: polled until it settles; completed', async () => {
  const orderId = service.orderId('pending');
  await put(`${service.paymentProvider.url}/payments/PAY-${orderId}`, { orderId, status: 'pending', settlesAs: 'authorized', lookupsUntilSettled: 2 });
  await produceOrder(orderId);
  await producePayment(orderId, 'payment.pending');
  await reaches(orderId, 'completed');
  await recordScenario('payment-pending-then-settled', [orderWorkflowId(orderId), paymentWorkflowId(orderId)]);
});

test('reprocessed: a completed order run again by support; the new run completes', async () => {
  const orderId = service.orderId('reprocessed');
  await produceOrder(orderId);
  await producePayment(orderId, 'payment.captured');
  await reaches(orderId, 'completed');
  const first = await service.temporal.workflow.getHandle(orderWorkflowId(orderId)).describe();
  await service.produce(service.config.topics.supportCommands, [toRecord(cloudEvent('order.reprocess', orderId, { orderId, reason: 'fulfilment lost the order' }))]);
  await until(async () => expect((await service.temporal.workflow.getHandle(orderWorkflowId(orderId)).describe()).runId).not.toBe(first.runId));
  await reaches(orderId, 'completed');
  expect((await service.orderStatus(orderId)).history[0]).toMatchObject({ step: 'reprocess' });
  await recordScenario('reprocessed', [orderWorkflowId(orderId)]);
});

/*
 * v2, the risk-check and payment-retry changes, end to end: these are also the proof that the new
 * paths work on the real stack, with the risk-service stand-in and order.review on the support topic.
 */
const review = (orderId: string, decision: 'approve' | 'reject', note?: string) =>
  service.produce(service.config.topics.supportCommands, [toRecord(cloudEvent('order.review', orderId, { orderId, decision, reviewer: 'agent-7', ...(note ? { note } : {}) }))]);
const statusMessages = async (orderId: string) => {
  const all = await readTopic(service.kafka, service.config.topics.orderStatus, 1);
  const decoded = await Promise.all(all.map((m) => registry.decode(m.value!) as Promise<OrderStatusChangedRecord>));
  return decoded.filter((record) => record.orderId === orderId);
};

test('high risk, approved: the risk service scores it high, it waits for order.review, is approved and fulfilled', async () => {
  const orderId = service.orderId('RISK-approved');
  await produceOrder(orderId);
  await producePayment(orderId, 'payment.captured');
  await reaches(orderId, 'awaiting-review');
  await until(async () => expect((await statusMessages(orderId)).map((m) => m.status)).toEqual(['IN_REVIEW']));
  await review(orderId, 'approve');
  await reaches(orderId, 'completed');
  const status = await service.orderStatus(orderId);
  expect(status.risk).toMatchObject({ score: 92, level: 'high', decision: 'approved', reviewer: 'agent-7' });
  await until(async () => expect(await statusMessages(orderId)).toMatchObject([
    { status: 'IN_REVIEW', risk: { score: 92, decision: 'PASSED', reviewer: null } },
    { status: 'COMPLETED', risk: { score: 92, decision: 'APPROVED', reviewer: 'agent-7' } },
  ]));
  const fulfilled = (await (await fetch(`${service.storefront.url}/reservations/${status.fulfillmentId}`)).json()) as { released: boolean };
  expect(fulfilled.released).toBe(false);
  await recordScenario('high-risk-approved', [orderWorkflowId(orderId), paymentWorkflowId(orderId)]);
});

test('high risk, rejected: support rejects it; the payment is voided and CANCELLED published with the decision', async () => {
  const orderId = service.orderId('RISK-rejected');
  await produceOrder(orderId);
  await producePayment(orderId, 'payment.captured');
  await reaches(orderId, 'awaiting-review');
  await review(orderId, 'reject', 'stolen card');
  await reaches(orderId, 'cancelled');
  const payment = (await (await fetch(`${service.paymentProvider.url}/payments/PAY-${orderId}`)).json()) as { status: string };
  expect(payment.status).toBe('voided');
  await until(async () => expect((await statusMessages(orderId)).at(-1)).toMatchObject({ status: 'CANCELLED', reasons: ['rejected in risk review by agent-7: stolen card'], risk: { decision: 'REJECTED' } }));
  await recordScenario('high-risk-rejected', [orderWorkflowId(orderId)]);
});

test('payment retried: payment.failed, then the customer pays with another card inside the window; fulfilled', async () => {
  const orderId = service.orderId('retried');
  await put(`${service.paymentProvider.url}/payments/PAY-${orderId}`, { orderId, status: 'failed', reason: 'card declined' });
  await produceOrder(orderId);
  await producePayment(orderId, 'payment.failed');
  await reaches(orderId, 'awaiting-payment-retry');
  await service.produce(service.config.topics.paymentEvents, [toRecord(paymentEventFor('payment.authorized', orderId, `PAY-${orderId}-2`))]);
  await reaches(orderId, 'completed');
  const status = await service.orderStatus(orderId);
  expect(status.payment).toMatchObject({ status: 'validated', paymentId: `PAY-${orderId}-2` });
  expect(status.failedPayments).toEqual([{ paymentId: `PAY-${orderId}`, reason: 'card declined' }]);
  expect(status.risk).toMatchObject({ level: 'low', decision: 'passed' });
  await recordScenario('payment-retried', [orderWorkflowId(orderId), paymentWorkflowId(orderId)]);
});

test('oms history export writes a run\'s history, decrypted, as JSON that replays; an unknown workflow is one line', async () => {
  const orderId = service.orderId('exported');
  await produceOrder(orderId);
  await producePayment(orderId, 'payment.captured');
  await reaches(orderId, 'completed');
  const file = path.join(await mkdtemp(path.join(tmpdir(), 'oms-history-')), 'order.json');
  const exported = await runOms(['history', 'export', orderWorkflowId(orderId), '--out', file], service.env);
  expect(exported.stderr).toBe('');
  expect(exported.code).toBe(0);
  const json: unknown = JSON.parse(await readFile(file, 'utf8'));
  expect(JSON.stringify(json)).not.toContain(Buffer.from('binary/encrypted').toString('base64'));
  const started = (json as { events: { workflowExecutionStartedEventAttributes?: { input: { payloads: { data: string }[] } } }[] }).events[0]!.workflowExecutionStartedEventAttributes!;
  expect(JSON.parse(Buffer.from(started.input.payloads[0]!.data, 'base64').toString())).toMatchObject({ orderId });
  await Worker.runReplayHistory({ workflowsPath, replayName: 'exported' }, historyFromJSON(json), orderWorkflowId(orderId));

  const missing = await runOms(['history', 'export', 'order-ORD-never-seen'], service.env);
  expect(missing.code).toBe(1);
  expect(missing.stderr).toMatch(/^oms: .*not found.*\n$/i);
});

import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, expect, test, vi } from 'vitest';
import { cloudEvent, orderEvent, paymentEventFor, toRecord } from '../../src/dev/standins/events.ts';
import { seededOrder } from '../../src/dev/standins/seed.ts';
import { payloadCodec, temporalSettings } from '../../src/temporal/factory.ts';
import { exportHistory } from '../../src/temporal/history-export.ts';
import { orderWorkflowId, paymentWorkflowId, type OrderStage } from '../../src/workflow/definitions.ts';
import { startTestService, type TestService } from '../support/service.ts';

/**
 * Each kind of order the workflows run today, driven on the real stack and exported with
 * `exportHistory` (what `oms history export` does). Every run replays its exported, decrypted
 * histories against the code; with OMS_SAVE_HISTORIES=<label> it also saves them under
 * test/logic/histories/<label>/, where the logic suite replays them against every later version.
 */
const saveAs = process.env.OMS_SAVE_HISTORIES;
const historiesDir = fileURLToPath(new URL('../logic/histories/', import.meta.url));
const workflowsPath = fileURLToPath(new URL('../../src/workflow/index.ts', import.meta.url));

let service: TestService;
beforeAll(async () => {
  service = await startTestService();
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

test('payment failed: the order is cancelled', async () => {
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

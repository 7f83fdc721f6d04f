import { WorkflowFailedError, type Client } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import proto from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, inject, test, vi } from 'vitest';
import { orderEvent, paymentEventFor, toRecord } from '../../../src/dev/standins/events.ts';
import { seededCustomer, seededOrder } from '../../../src/dev/standins/seed.ts';
import { PATCHES, paymentWorkflowId, WAITING_STAGES } from '../../../src/contract/workflows.ts';
import { isEncrypted, PayloadDecryptionError } from '../../../src/temporal/encryption-codec.ts';
import { createTemporalClient, dataConverter, temporalSettings } from '../../../src/temporal/factory.ts';
import { newKeyRingJson, parseKeyRing } from '../../../src/temporal/key-ring.ts';
import { runOms, spawnOms } from '../../support/cli.ts';
import { randomPort } from '../../support/names.ts';
import { payloadsIn } from '../../support/payloads.ts';
import { startTestService, type TestService } from '../../support/service.ts';

/**
 * Customer data in Temporal: every payload of every history is encrypted, and nothing a customer
 * typed (name, email, street, postal code) is anywhere in the raw history bytes, failures included.
 */
let service: TestService;
let raw: Client;
beforeAll(async () => {
  // A failed payment waits this long for the customer to pay again (default: an hour).
  service = await startTestService({ env: { PAYMENT_RETRY_WINDOW_MS: '5000' } });
  raw = await createTemporalClient({ address: inject('stack').temporalAddress, namespace: 'default', encryption: 'off' });
});
afterAll(async () => {
  await raw?.connection.close();
  await service?.stop();
});

const stageOf = async (orderId: string) => (await service.orderStatus(orderId)).stage;
const produceOrder = (orderId: string) => service.produce(service.config.topics.orderEvents, [toRecord(orderEvent('order.created', orderId))]);
const producePayment = (orderId: string, type: Parameters<typeof paymentEventFor>[0]) =>
  service.produce(service.config.topics.paymentEvents, [toRecord(paymentEventFor(type, orderId, `PAY-${orderId}`))]);

function customerStrings(orderId: string): string[] {
  const order = seededOrder(orderId)!;
  const customer = seededCustomer(order.customerId)!;
  return [customer.email, customer.name, order.shippingAddress.line1, order.shippingAddress.postalCode];
}

test('the raw histories of a completed, a declined, and a failed-and-compensated order carry no customer data, every payload is encrypted, and a replay reads them with the codec', { timeout: 180_000 }, async () => {
  const happy = service.orderId('enc-happy');
  const declined = service.orderId('enc-declined');
  const noStock = service.orderId('enc-nostock');
  await fetch(`${service.paymentProvider.url}/payments/PAY-${declined}`, { method: 'PUT', body: JSON.stringify({ orderId: declined, status: 'failed', reason: 'card declined' }) });
  const sku = seededOrder(noStock)!.lines[0]!.sku;
  await fetch(`${service.storefront.url}/inventory/${sku}`, { method: 'PUT', body: JSON.stringify({ available: 0 }) });
  try {
    for (const orderId of [happy, declined, noStock]) await produceOrder(orderId);
    await producePayment(happy, 'payment.captured');
    await producePayment(declined, 'payment.failed');
    await producePayment(noStock, 'payment.authorized');
    await vi.waitFor(async () => expect([await stageOf(happy), await stageOf(declined), await stageOf(noStock)]).toEqual(['completed', 'cancelled', 'failed']), { timeout: 120_000, interval: 500 });
  } finally {
    await fetch(`${service.storefront.url}/inventory/${sku}`, { method: 'PUT', body: JSON.stringify({ available: 1_000_000 }) });
  }
  // The failed order voided its payment (compensation), and its failure reached the client, decrypted.
  expect((await service.orderStatus(noStock)).history.some((step) => step.step === 'void payment' && step.outcome === 'ok')).toBe(true);
  const failure = await service.temporal.workflow.getHandle(`order-${noStock}`).result().then(() => undefined, (error: unknown) => error);
  expect(failure).toBeInstanceOf(WorkflowFailedError);
  const messages: string[] = [];
  for (let cause: Error | undefined = failure as WorkflowFailedError; cause; cause = cause.cause as Error | undefined) messages.push(cause.message);
  expect(messages.join(' / ')).toMatch(/stock/i);

  let payloads = 0;
  for (const orderId of [happy, declined, noStock]) {
    for (const workflowId of [`order-${orderId}`, paymentWorkflowId(orderId)]) {
      const history = await raw.workflow.getHandle(workflowId).fetchHistory();
      const bytes = Buffer.from(proto.temporal.api.history.v1.History.encode(history).finish());
      for (const text of customerStrings(orderId)) expect(bytes.includes(text), `${workflowId} holds "${text}" in plain text`).toBe(false);
      const internal: Payload[] = [];
      const found = payloadsIn(history, [], internal);
      expect(found.length, workflowId).toBeGreaterThan(0);
      expect(found.filter((payload) => !isEncrypted(payload)), workflowId).toEqual([]);
      // What the SDK writes in clear names the patches a run took, and the type, attempt and times of
      // each local activity; the workflow, the stage it waits in; nothing else.
      const patchIds: string[] = Object.values(PATCHES);
      for (const payload of internal) {
        // The stage attribute (v5) in clear, for visibility to index: a waiting stage's name, or unset (no data).
        const text = Buffer.from(payload.data ?? []).toString();
        const value = (text === '' ? null : JSON.parse(text)) as { id?: string; activity_type?: string } | string[] | string | null;
        if (value === null || (WAITING_STAGES as readonly unknown[]).includes(value)) continue;
        if (typeof value === 'string') throw new Error(`${workflowId}: a search attribute in clear: ${value}`);
        if (!Array.isArray(value) && value.activity_type !== undefined) {
          expect(Object.keys(value).sort(), workflowId).toEqual(['activity_id', 'activity_type', 'attempt', 'backoff', 'complete_time', 'original_schedule_time', 'seq']);
          continue;
        }
        const named = Array.isArray(value) ? value : [value.id];
        expect(named.every((id) => patchIds.includes(id!)), `${workflowId}: ${JSON.stringify(value)}`).toBe(true);
      }
      payloads += found.length;
      // Failure messages too: the encoded-attributes failure converter leaves only a placeholder in clear.
      const failures = history.events!.flatMap((event) => [event.workflowExecutionFailedEventAttributes?.failure, event.activityTaskFailedEventAttributes?.failure, event.markerRecordedEventAttributes?.failure]).filter(Boolean);
      for (const failed of failures) expect(failed!.message).toBe('Encoded failure');
    }
  }
  console.log(`[figures] ${payloads} payloads in 6 raw histories, all encrypted`);

  // Replay (of saved histories, before a workflow change) reads them through the same data converter.
  const history = await service.temporal.workflow.getHandle(`order-${happy}`).fetchHistory();
  const workflowsPath = fileURLToPath(new URL('../../../src/workflow/index.ts', import.meta.url));
  await Worker.runReplayHistory({ workflowsPath, dataConverter: dataConverter(temporalSettings(service.config)) }, history, `order-${happy}`);
  await expect(Worker.runReplayHistory({ workflowsPath }, history, `order-${happy}`)).rejects.toThrow();
});

test('without the key ring the raw client cannot read a query result; a ring without the key says which key is missing', async () => {
  const orderId = service.orderId('enc-query');
  await produceOrder(orderId);
  await vi.waitFor(async () => expect(await stageOf(orderId)).toBe('awaiting-payment'), { timeout: 60_000, interval: 250 });
  await expect(raw.workflow.getHandle(`order-${orderId}`).query('status')).rejects.toThrow();

  const otherRing = parseKeyRing(newKeyRingJson('other'), 'test');
  const stranger = await createTemporalClient({ address: inject('stack').temporalAddress, namespace: 'default', encryption: otherRing });
  try {
    const error = await stranger.workflow.getHandle(`order-${orderId}`).query('status').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PayloadDecryptionError);
    expect(error).toMatchObject({ name: 'PayloadDecryptionError', reason: 'unknown-key' });
  } finally {
    await stranger.connection.close();
  }
});

test.each([
  [{ TEMPORAL_ENCRYPTION_KEYS: '', TEMPORAL_ENCRYPTION_KEYS_FILE: '' }, /^oms: invalid configuration: TEMPORAL_ENCRYPTION_KEYS: required while TEMPORAL_ENCRYPTION is on/],
  [{ TEMPORAL_ENCRYPTION_KEYS_FILE: '', TEMPORAL_ENCRYPTION_KEYS: '{"active":"a","keys":{"a":"c2hvcnQ="}}' }, /^oms: invalid configuration: TEMPORAL_ENCRYPTION_KEYS: keys\.a: expected 32 bytes/],
  [{ TEMPORAL_ENCRYPTION_KEYS_FILE: '', TEMPORAL_ENCRYPTION_KEYS: newKeyRingJson('a').replace('"active": "a"', '"active": "b"') }, /^oms: invalid configuration: TEMPORAL_ENCRYPTION_KEYS: active: the active key id is not among the keys$/],
  [{ TEMPORAL_ENCRYPTION_KEYS_FILE: path.join(tmpdir(), 'no-such-ring.json') }, /^oms: invalid configuration: TEMPORAL_ENCRYPTION_KEYS_FILE: cannot read .*no-such-ring\.json \(ENOENT\)$/],
])('oms worker with a missing or bad key ring (%j) stops at start with one line naming the variable, and never prints a key', async (env, message) => {
  const result = await runOms(['worker'], { ...service.env, ...env });
  expect(result.code).toBe(1);
  expect(result.stderr.trim().split('\n')).toHaveLength(1);
  expect(result.stderr.trim()).toMatch(message);
});

test('each role says at start how payloads are stored: the active key of a ring from a file, or that encryption is off', { timeout: 60_000 }, async () => {
  const file = path.join(tmpdir(), `${service.id}-ring.json`);
  await writeFile(file, newKeyRingJson('file-key'), { mode: 0o600 });
  const startedLine = async (env: Record<string, string>) => {
    const ingest = spawnOms(['ingest'], { ...service.env, ...env, HTTP_PORT: randomPort(), LOG_LEVEL: 'info' });
    try {
      const lines = () => ingest.output().split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
      await vi.waitFor(() => expect(lines().some((line) => line.msg === 'started')).toBe(true), { timeout: 30_000, interval: 100 });
      return lines();
    } finally {
      ingest.child.kill('SIGKILL');
      await ingest.exited;
    }
  };
  const withFile = await startedLine({ TEMPORAL_ENCRYPTION_KEYS_FILE: file });
  expect(withFile.find((line) => line.msg === 'started')).toMatchObject({ payloadEncryption: 'AES-256-GCM, active key file-key' });
  const off = await startedLine({ TEMPORAL_ENCRYPTION: 'off', TEMPORAL_ENCRYPTION_KEYS_FILE: '' });
  expect(off.find((line) => line.msg === 'started')).toMatchObject({ payloadEncryption: 'off' });
  expect(off.find((line) => line.level === 40)?.msg).toMatch(/^TEMPORAL_ENCRYPTION=off: workflow inputs, signals, results and failures go to Temporal as plain JSON$/);
});

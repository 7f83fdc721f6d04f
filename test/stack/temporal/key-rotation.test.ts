import type { Client } from '@temporalio/client';
import { randomBytes } from 'node:crypto';
import { expect, inject, test, vi } from 'vitest';
import { orderEvent, paymentEventFor, toRecord } from '../../../src/dev/standins/events.ts';
import { EncryptionCodec, KEY_ID_METADATA, PayloadDecryptionError } from '../../../src/temporal/encryption-codec.ts';
import { createTemporalClient } from '../../../src/temporal/factory.ts';
import { newKeyRingJson, parseKeyRing } from '../../../src/temporal/key-ring.ts';
import { orderStatusQuery, orderWorkflowId } from '../../../src/contract/workflows.ts';
import { payloadsIn } from '../../support/payloads.ts';
import { untilReady, withRoleProcesses } from '../../support/roles.ts';

const { service, start } = withRoleProcesses();

test('rotation: orders started under key A complete after B becomes active; their histories decode with {A, B}, and without A fail with the named error', { timeout: 240_000 }, async () => {
  const ringA = newKeyRingJson('key-a');
  const keyB = randomBytes(32).toString('base64');
  const ringAB = JSON.stringify({ active: 'key-b', keys: { ...(JSON.parse(ringA) as { keys: object }).keys, 'key-b': keyB } });
  const ringB = JSON.stringify({ active: 'key-b', keys: { 'key-b': keyB } });
  const withRing = (ring: string) => ({ TEMPORAL_ENCRYPTION_KEYS: ring, TEMPORAL_ENCRYPTION_KEYS_FILE: '' });
  const clientWith = (ring: string) => createTemporalClient({ address: inject('stack').temporalAddress, namespace: 'default', encryption: parseKeyRing(ring, 'test') });
  const stageOf = (client: Client, orderId: string) => client.workflow.getHandle(orderWorkflowId(orderId)).query(orderStatusQuery).then((status) => status.stage);
  const orders = [1, 2, 3].map((n) => service().orderId(`rot${n}`));

  let roles = [start(['worker'], withRing(ringA)), start(['ingest'], withRing(ringA))];
  await Promise.all(roles.map((role) => untilReady(role)));
  await service().produce(service().config.topics.orderEvents, orders.map((orderId) => toRecord(orderEvent('order.created', orderId))));
  const clientA = await clientWith(ringA);
  const clientAB = await clientWith(ringAB);
  try {
    await vi.waitFor(async () => expect(await Promise.all(orders.map((orderId) => stageOf(clientA, orderId)))).toEqual(orders.map(() => 'awaiting-payment')), { timeout: 90_000, interval: 500 });

    // The rotation, as an operator does it: the new ring (B active, A kept) deployed, the roles restarted.
    await Promise.all(roles.map((role) => role.kill('SIGTERM')));
    roles = [start(['worker'], withRing(ringAB)), start(['ingest'], withRing(ringAB))];
    await Promise.all(roles.map((role) => untilReady(role)));
    await service().produce(service().config.topics.paymentEvents, orders.map((orderId) => toRecord(paymentEventFor('payment.captured', orderId, `PAY-${orderId}`))));
    await vi.waitFor(async () => expect(await Promise.all(orders.map((orderId) => stageOf(clientAB, orderId)))).toEqual(orders.map(() => 'completed')), { timeout: 120_000, interval: 500 });

    for (const orderId of orders) {
      const payloads = payloadsIn(await clientAB.workflow.getHandle(orderWorkflowId(orderId)).fetchHistory());
      const keyIds = new Set(payloads.map((payload) => Buffer.from(payload.metadata![KEY_ID_METADATA]!).toString()));
      expect(keyIds).toEqual(new Set(['key-a', 'key-b']));
      const decoded = await new EncryptionCodec(parseKeyRing(ringAB, 'test')).decode(payloads);
      expect(decoded.filter((payload) => Buffer.from(payload.metadata!.encoding!).toString() === 'binary/encrypted')).toEqual([]);
      const error = await new EncryptionCodec(parseKeyRing(ringB, 'test')).decode(payloads).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(PayloadDecryptionError);
      expect(error).toMatchObject({ reason: 'unknown-key', message: expect.stringContaining('"key-a"') as unknown });
    }
  } finally {
    await clientA.connection.close();
    await clientAB.connection.close();
  }
});

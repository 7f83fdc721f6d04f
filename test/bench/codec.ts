import { defaultPayloadConverter } from '@temporalio/common';
import { decodeEvent } from '../../src/event/envelope.ts';
import { routeEvent, routerSettings } from '../../src/router/routes.ts';
import { signalWithStart } from '../../src/signal/signal-with-start.ts';
import { createTemporalClient, payloadCodec } from '../../src/temporal/factory.ts';
import { loadKeyRing } from '../../src/temporal/key-ring.ts';
import { percentile, type Bench } from './harness.ts';
import { newOrders } from './ingest.ts';

export interface CodecCost {
  /** Bytes of an order.created signal's payload: plain JSON, and encrypted. */
  payloadBytes: { plain: number; encrypted: number };
  /** p50 of one signal-with-start at a time, milliseconds. */
  signalP50Ms: { plain: number; encrypted: number };
}

/**
 * What encryption costs one call: the payload's size, and signal-with-start latency one at a time,
 * the two clients taking turns in batches so that the server's drift is shared.
 */
export async function codecCost(bench: Bench, calls: number): Promise<CodecCost> {
  const ring = loadKeyRing({ keysFile: bench.stack.temporalKeysFile })!;
  const plainClient = await createTemporalClient({ address: bench.stack.temporalAddress, namespace: 'default', encryption: 'off' });
  try {
    const { id, config } = bench.service();
    const router = routerSettings(config);
    const commands = newOrders(id, calls).map((record) =>
      routeEvent(decodeEvent({ key: Buffer.from(record.key), value: Buffer.from(record.value), headers: record.headers }, config.ingest.maxEventBytes), router),
    );
    const plainPayload = defaultPayloadConverter.toPayload(commands[0]!.signalArgs[0]);
    const [encryptedPayload] = await payloadCodec(ring).encode([plainPayload]);
    const size = (payload: typeof plainPayload) => (payload.data?.length ?? 0) + Object.entries(payload.metadata ?? {}).reduce((sum, [key, value]) => sum + key.length + (value?.length ?? 0), 0);

    const latencies = { plain: [] as number[], encrypted: [] as number[] };
    const batch = 25;
    for (let at = 0; at < commands.length; at += batch) {
      const turn = (at / batch) % 2 === 0 ? (['plain', 'encrypted'] as const) : (['encrypted', 'plain'] as const);
      for (const [half, kind] of turn.entries()) {
        const client = kind === 'plain' ? plainClient : bench.temporal;
        for (const command of commands.slice(at + (half * batch) / 2, at + ((half + 1) * batch) / 2)) {
          const started = performance.now();
          await signalWithStart(client, command);
          latencies[kind].push(performance.now() - started);
        }
      }
    }
    const p50 = (values: number[]) => percentile([...values].sort((a, b) => a - b), 50);
    return { payloadBytes: { plain: size(plainPayload), encrypted: size(encryptedPayload!) }, signalP50Ms: { plain: p50(latencies.plain), encrypted: p50(latencies.encrypted) } };
  } finally {
    await plainClient.connection.close();
  }
}

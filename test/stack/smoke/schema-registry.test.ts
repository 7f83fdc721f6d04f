import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { expect, inject, test } from 'vitest';
import { uniqueName } from '../../support/names.ts';

test('an Avro schema registers under <topic>-value, and encoded bytes are in the Confluent wire format', async () => {
  const { schemaRegistryUrl } = inject('stack');
  const registry = new SchemaRegistry({ host: schemaRegistryUrl });
  const subject = `${uniqueName('smoke.avro')}-value`;
  const schema = {
    type: 'record',
    name: 'SmokeOrder',
    namespace: 'oms.smoke',
    fields: [
      { name: 'orderId', type: 'string' },
      { name: 'quantity', type: 'int' },
    ],
  };

  const { id } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(schema) }, { subject });
  const encoded = await registry.encode(id, { orderId: 'o-1', quantity: 3 });

  expect(encoded.readUInt8(0)).toBe(0); // magic byte
  expect(encoded.readInt32BE(1)).toBe(id); // schema id, big-endian
  expect(await registry.decode(encoded)).toEqual({ orderId: 'o-1', quantity: 3 });

  // The registry itself (not the client's cache) knows the subject and the id.
  const latest = (await (await fetch(`${schemaRegistryUrl}/subjects/${subject}/versions/latest`)).json()) as { id: number };
  expect(latest.id).toBe(id);
  const compatibility = (await (await fetch(`${schemaRegistryUrl}/config`)).json()) as { compatibilityLevel: string };
  expect(compatibility.compatibilityLevel).toBe('BACKWARD');
});

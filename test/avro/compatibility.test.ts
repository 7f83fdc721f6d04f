import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { Kafka, logLevel } from 'kafkajs';
import { expect, inject, test } from 'vitest';
import { AvroPublisher, subjectFor } from '../../src/avro/publisher.ts';
import { readAvroSchema } from '../../src/avro/schemas.ts';
import { uniqueName } from '../support/names.ts';

type AvroRecord = { type: 'record'; name: string; fields: { name: string; type: unknown; default?: unknown }[] };

test('output subjects refuse changes that break compatibility: adding an optional field passes, removing or adding a required field is refused', async () => {
  const url = inject('stack').schemaRegistryUrl;
  const registry = new SchemaRegistry({ host: url });
  const topic = uniqueName('compat.fulfillment');
  const kafka = new Kafka({ brokers: inject('stack').kafkaBrokers.split(','), logLevel: logLevel.NOTHING });
  const publisher = new AvroPublisher(registry, kafka.producer(), { fulfillment: topic, orderStatus: `${topic}.status` });
  await publisher.registerSchemas();

  const subject = subjectFor(topic);
  const v1 = JSON.parse(readAvroSchema('FulfillmentOrder')) as AvroRecord;
  const register = (schema: AvroRecord) =>
    registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(schema) }, { subject, compatibility: COMPATIBILITY.FULL });
  const refusal = (schema: AvroRecord) => register(schema).then(() => 'accepted', (error: Error) => error.message);

  const withOptional = { ...v1, fields: [...v1.fields, { name: 'giftMessage', type: ['null', 'string'], default: null }] };
  expect((await register(withOptional)).id).toBeGreaterThan(0);
  expect(await refusal({ ...v1, fields: v1.fields.filter((field) => field.name !== 'paymentReference') })).toMatch(/incompatible|409/i);
  expect(await refusal({ ...v1, fields: [...v1.fields, { name: 'warehouse', type: 'string' }] })).toMatch(/incompatible|409/i);

  const versions = (await (await fetch(`${url}/subjects/${subject}/versions`)).json()) as number[];
  expect(versions).toHaveLength(2);
  // The registry's global rule is still BACKWARD; the output subjects are stricter (FULL).
  expect(((await (await fetch(`${url}/config`)).json()) as { compatibilityLevel: string }).compatibilityLevel).toBe('BACKWARD');
  expect(((await (await fetch(`${url}/config/${subject}`)).json()) as { compatibilityLevel: string }).compatibilityLevel).toBe('FULL');
});

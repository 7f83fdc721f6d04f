import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import avro from 'avsc';
import { Kafka, logLevel } from 'kafkajs';
import { expect, inject, test } from 'vitest';
import { AvroPublisher, subjectFor } from '../../../src/avro/publisher.ts';
import { readAvroSchema } from '../../../src/avro/schemas.ts';
import { uniqueName } from '../../support/names.ts';

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

test('the order-status schema of the risk-check change (IN_REVIEW, an optional risk record) is a FULL-compatible successor of the one before it', async () => {
  const url = inject('stack').schemaRegistryUrl;
  const registry = new SchemaRegistry({ host: url });
  const subject = subjectFor(uniqueName('compat.status'));
  const current = JSON.parse(readAvroSchema('OrderStatusChanged')) as AvroRecord;
  // The schema as it was: no risk field, no IN_REVIEW.
  const before = {
    ...current,
    fields: current.fields
      .filter((field) => field.name !== 'risk')
      .map((field) => (field.name === 'status' ? { ...field, type: { ...(field.type as { symbols: string[] }), symbols: (field.type as { symbols: string[] }).symbols.filter((s) => s !== 'IN_REVIEW') } } : field)),
  };
  expect(JSON.stringify(before)).not.toContain('IN_REVIEW');
  const register = (schema: AvroRecord) => registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(schema) }, { subject, compatibility: COMPATIBILITY.FULL });
  await register(before);
  expect((await register(current)).id).toBeGreaterThan(0);
  // A reader on the old schema reads new records: IN_REVIEW falls back to UNKNOWN, the risk field is skipped.
  const writer = avro.Type.forSchema(current as avro.Schema);
  const reader = avro.Type.forSchema(before as avro.Schema);
  const record = { orderId: 'ORD-1', status: 'IN_REVIEW', reasons: ['new customer'], time: 1_700_000_000_000, risk: { score: 92, decision: 'PASSED', reviewer: null } };
  const read = reader.createResolver(writer);
  expect(reader.fromBuffer(writer.toBuffer(record), read)).toMatchObject({ orderId: 'ORD-1', status: 'UNKNOWN', reasons: ['new customer'] });
});

test("the fulfilment schema with minorUnitDigits (money by ISO 4217) is a FULL-compatible successor; a record written before it reads as 2, the scale it was written in", async () => {
  const url = inject('stack').schemaRegistryUrl;
  const registry = new SchemaRegistry({ host: url });
  const subject = subjectFor(uniqueName('compat.fulfillment-digits'));
  const current = JSON.parse(readAvroSchema('FulfillmentOrder')) as AvroRecord;
  const before = { ...current, fields: current.fields.filter((field) => field.name !== 'minorUnitDigits') };
  expect(before.fields).toHaveLength(current.fields.length - 1);
  const register = (schema: AvroRecord) => registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(schema) }, { subject, compatibility: COMPATIBILITY.FULL });
  await register(before);
  expect((await register(current)).id).toBeGreaterThan(0);
  const old = { orderId: 'ORD-1', fulfillmentId: 'ful-1', customer: { id: 'C', name: 'N', email: 'e@example.com' }, shippingAddress: { line1: 'l', city: 'c', postalCode: 'p', country: 'DE' }, lines: [{ sku: 'S', quantity: 1, unitPriceMinor: 1999 }], currency: 'EUR', paymentReference: 'r', eventTime: 1_700_000_000_000, reprocessOf: null };
  const oldWriter = avro.Type.forSchema(before as avro.Schema);
  const newReader = avro.Type.forSchema(current as avro.Schema);
  expect(newReader.fromBuffer(oldWriter.toBuffer(old), newReader.createResolver(oldWriter))).toMatchObject({ minorUnitDigits: 2, lines: [{ unitPriceMinor: 1999 }] });
  // And an old reader skips the new field: a yen record still decodes, its price in yen.
  const yen = { ...old, currency: 'JPY', minorUnitDigits: 0, lines: [{ sku: 'S', quantity: 1, unitPriceMinor: 1665 }] };
  expect(oldWriter.fromBuffer(newReader.toBuffer(yen), oldWriter.createResolver(newReader))).toMatchObject({ currency: 'JPY', lines: [{ unitPriceMinor: 1665 }] });
});

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { describe, expect, test } from 'vitest';
import { eventSchemasDir } from '../../../src/dev/schemas-command.ts';
import { EVENT_DATA_SCHEMAS, type EventType } from '../../../src/event/catalog.ts';
import { decodeEvent } from '../../../src/event/envelope.ts';
import { EventProcessingError } from '../../../src/event/errors.ts';
import { eventJsonSchema, eventSchemaFile } from '../../../src/event/json-schemas.ts';
import { orderEvent, paymentEventFor, toRecord, cloudEvent } from '../../../src/dev/standins/events.ts';
import { contractCases } from '../../fixtures/event-corpus.ts';

const types = Object.keys(EVENT_DATA_SCHEMAS) as EventType[];
const asMessage = (record: { key: string | null; value: string; headers?: Record<string, string> }) => ({
  key: record.key === null ? null : Buffer.from(record.key),
  value: Buffer.from(record.value),
  headers: record.headers,
});

describe('the published JSON Schemas', () => {
  test.each(types)('schemas/events/%s.schema.json is what the validation schema generates (run `oms schemas write` after a change)', async (type) => {
    const committed = JSON.parse(await readFile(path.join(eventSchemasDir, eventSchemaFile(type)), 'utf8')) as unknown;
    expect(committed).toEqual(eventJsonSchema(type));
  });

  test('agree with the ingest validator on valid and invalid events', () => {
    const ajv = new Ajv2020({ strict: false });
    addFormats.default(ajv);
    const samples = [
      orderEvent('order.created', 'ORD-contract-1'),
      paymentEventFor('payment.authorized', 'ORD-contract-1', 'PAY-1'),
      cloudEvent('order.reprocess', 'ORD-contract-1', { orderId: 'ORD-contract-1', reason: 'storefront outage' }),
      cloudEvent('order.cancelled', 'ORD-contract-1', { orderId: 'ORD-contract-1' }),
    ];
    for (const event of samples) {
      const validate = ajv.compile(eventJsonSchema(event.type));
      expect(validate(event), JSON.stringify(validate.errors)).toBe(true);
      expect(() => decodeEvent(asMessage(toRecord(event)), 1_000_000)).not.toThrow();
      const broken = { ...event, data: { ...(event.data as object), orderId: 42 } };
      expect(validate(broken)).toBe(false);
      expect(() => decodeEvent(asMessage({ key: event.subject, value: JSON.stringify(broken) }), 1_000_000)).toThrow(EventProcessingError);
    }
  });
});

describe('decodeEvent', () => {
  const valid = orderEvent('order.created', 'ORD-decode-1');
  const reasonOf = (record: { key: string | null; value: string; headers?: Record<string, string> }, maxBytes = 1_000_000) => {
    try {
      decodeEvent(asMessage(record), maxBytes);
      return 'accepted';
    } catch (error) {
      expect(error).toBeInstanceOf(EventProcessingError);
      expect((error as EventProcessingError).retriable).toBe(false);
      return (error as EventProcessingError).reason;
    }
  };

  test.each(contractCases(valid))('%s: %s', (_name, record, expected) => {
    expect(reasonOf(record)).toBe(expected);
  });

  test('size limit counts key, value and headers', () => {
    const record = { key: valid.subject, value: JSON.stringify(valid) };
    const size = Buffer.byteLength(record.key) + Buffer.byteLength(record.value);
    expect(reasonOf(record, size)).toBe('accepted');
    expect(reasonOf(record, size - 1)).toBe('too-large');
  });
});

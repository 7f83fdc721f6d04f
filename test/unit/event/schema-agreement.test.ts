import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { describe, expect, test } from 'vitest';
import { demoEvents, demoPoison, KINDS, reprocessCommand, reviewCommand } from '../../../src/dev/demo/demo-events.ts';
import { eventSchemasDir } from '../../../src/dev/schemas-command.ts';
import { orderEvent, paymentEventFor, toRecord } from '../../../src/dev/standins/events.ts';
import { isEventType } from '../../../src/event/catalog.ts';
import { validateEvent } from '../../../src/event/envelope.ts';
import { EventProcessingError } from '../../../src/event/errors.ts';
import { eventSchemaFile } from '../../../src/event/json-schemas.ts';
import { toGatewayRecord, type GatewayRecord } from '../../../src/gateway/http-binding.ts';
import { contractCases, poisonCorpus, type CorpusRecord } from '../../fixtures/event-corpus.ts';
import { shopifyOrderBody, stripeEventBody } from '../../support/provider-payloads.ts';

/**
 * The published schemas (schemas/events/*.schema.json, read as a producer would) and ingest's own
 * validation agree on every event of the contract tests, the poison corpus and the demo stream, and on
 * what the gateway writes. The judge of the schemas is Ajv, a JSON Schema validator that is not ours.
 * Only the event is compared: the record's key and size are the Kafka binding's, checked apart.
 */
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats.default(ajv);
const validators = new Map<string, ValidateFunction>();
async function schemaFor(type: string): Promise<ValidateFunction | undefined> {
  if (!isEventType(type)) return undefined;
  if (!validators.has(type)) validators.set(type, ajv.compile(JSON.parse(await readFile(path.join(eventSchemasDir, eventSchemaFile(type)), 'utf8')) as object));
  return validators.get(type);
}

/** The structured-mode event a record carries, as a producer validating it would see it; undefined if it is not JSON. */
function structuredEvent(record: CorpusRecord): unknown {
  try {
    if (record.headers?.ce_specversion === undefined) return JSON.parse(record.value) as unknown;
    const attributes = Object.fromEntries(Object.entries(record.headers).filter(([name]) => name.startsWith('ce_')).map(([name, value]) => [name.slice(3), value]));
    return { ...attributes, data: JSON.parse(record.value) as unknown };
  } catch {
    return undefined;
  }
}

async function schemaVerdict(record: CorpusRecord): Promise<'accepted' | 'refused'> {
  const event = structuredEvent(record);
  const type = (event as { type?: unknown } | undefined)?.type;
  const validate = typeof type === 'string' ? await schemaFor(type) : undefined;
  return validate?.(event) ? 'accepted' : 'refused';
}

function ingestVerdict(record: CorpusRecord): { verdict: 'accepted' | 'refused'; message?: string } {
  try {
    validateEvent({ key: record.key === null ? null : Buffer.from(record.key), value: Buffer.from(record.value), headers: record.headers }, 1_000_000);
    return { verdict: 'accepted' };
  } catch (error) {
    if (!(error instanceof EventProcessingError)) throw error;
    return { verdict: 'refused', message: error.message };
  }
}

/** What ingest checks and JSON Schema can't say (CROSS_FIELD_RULES, written in each schema's description). */
const CROSS_FIELD = [/differs from subject/, /has more decimals than [A-Z]{3} allows/];

async function compare(corpus: [string, CorpusRecord][]): Promise<{ agreed: number; crossField: string[] }> {
  const crossField: string[] = [];
  let agreed = 0;
  for (const [name, record] of corpus) {
    const ingest = ingestVerdict(record);
    const schema = await schemaVerdict(record);
    if (ingest.verdict === schema) {
      agreed += 1;
      continue;
    }
    // The one disagreement allowed: a cross-field rule, which ingest enforces and the schema states in words.
    expect({ name, ingest, schema }).toMatchObject({ ingest: { verdict: 'refused' }, schema: 'accepted' });
    expect(CROSS_FIELD.some((rule) => rule.test(ingest.message ?? '')), `${name}: ${ingest.message}`).toBe(true);
    crossField.push(name);
  }
  return { agreed, crossField };
}

const gatewayRecord = (written: ReturnType<typeof toGatewayRecord>): CorpusRecord => {
  const record = written as GatewayRecord;
  return { key: record.key, value: record.value.toString(), headers: record.headers };
};

describe('the published event schemas agree with ingest', () => {
  test('on the contract tests', async () => {
    const result = await compare(contractCases().map(([name, record]) => [name, record]));
    expect(result.crossField).toEqual(['data for another order', 'a price with more decimals than EUR has']);
    expect(result.agreed).toBe(contractCases().length - 2);
  });

  test('on the poison corpus', async () => {
    const corpus = poisonCorpus(orderEvent('order.created', 'ORD-poison-1'), 4_096);
    const result = await compare(corpus.map(({ reason, record }) => [reason, record]));
    expect(result).toEqual({ agreed: corpus.length, crossField: [] });
  });

  test('on the demo stream: every kind of order, its payments, the support commands and the poison', async () => {
    const corpus: [string, CorpusRecord][] = [];
    for (const [n, kind] of KINDS.entries()) {
      const orderId = `ORD-demo-agree-${kind === 'high-risk' ? 'RISK-' : ''}${n}`;
      const { orders, payments } = demoEvents(orderId, kind);
      for (const record of [...orders, ...payments, reviewCommand(orderId), reprocessCommand(orderId)]) corpus.push([`${kind}: ${(JSON.parse(record.value) as { type: string }).type}`, record]);
    }
    for (const { record } of demoPoison('agree', { orderEvents: 'orders', paymentEvents: 'payments' }, { overHttp: false })) corpus.push([`poison ${record.value.slice(0, 40)}`, record]);
    const result = await compare(corpus);
    expect(result).toEqual({ agreed: corpus.length, crossField: [] });
    // The demo's poison is refused by both, its orders accepted by both.
    expect(await Promise.all(corpus.slice(-4).map(([, record]) => schemaVerdict(record)))).toEqual(['refused', 'refused', 'accepted', 'refused']);
  });

  test("on what the gateway writes: Stripe's PaymentIntent, the own payment shape with Stripe's extra fields kept, a Shopify order, binary mode", () => {
    const orderId = 'ORD-gateway-agree-1';
    const json = (body: unknown) => ({ headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(body)), mediaType: 'application/json' });
    const written = [
      toGatewayRecord('payments', json(stripeEventBody('payment_intent.succeeded', { orderId, amount: 4548, currency: 'eur' })), 1_000_000),
      toGatewayRecord('payments', json({ id: 'evt_own', type: 'payment_intent.succeeded', created: 1_700_000_000, livemode: false, data: { object: { orderId, paymentId: 'PAY-1', amount: 45.48, currency: 'EUR', status: 'succeeded', livemode: false } } }), 1_000_000),
      toGatewayRecord('commerce', { ...json(shopifyOrderBody({ id: '5208334008572' })), headers: { 'content-type': 'application/json', 'x-shopify-topic': 'orders/create', 'x-shopify-webhook-id': 'b39d2c2f-2871-4f2e' } }, 1_000_000),
      toGatewayRecord('payments', { headers: { 'content-type': 'application/json', 'ce-specversion': '1.0', 'ce-id': 'e-1', 'ce-source': '/payments', 'ce-type': 'payment.authorized', 'ce-subject': orderId }, body: Buffer.from(JSON.stringify(paymentEventFor('payment.authorized', orderId, 'PAY-2').data)), mediaType: 'application/json' }, 1_000_000),
    ].map(gatewayRecord);
    return compare(written.map((record, n) => [`gateway record ${n}`, record])).then((result) => expect(result).toEqual({ agreed: 4, crossField: [] }));
  });

  test('a schema refuses what ingest refuses, field by field: a lowercase currency, a blank id, a lines string', async () => {
    const valid = orderEvent('order.created', 'ORD-agree-2');
    for (const data of [{ ...valid.data, currency: 'eur' }, { ...valid.data, orderId: '   ' }, { ...valid.data, lines: 'three socks' }]) {
      const record = toRecord({ ...valid, data });
      expect([ingestVerdict(record).verdict, await schemaVerdict(record)]).toEqual(['refused', 'refused']);
    }
  });
});

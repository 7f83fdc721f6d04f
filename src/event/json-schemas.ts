import { z } from 'zod';
import { EVENT_DATA_SCHEMAS, type EventType } from './catalog.ts';
import { cloudEventAttributes } from './envelope.ts';

/** What ingest checks that JSON Schema can't say, stated in each schema's description. */
export const CROSS_FIELD_RULES = [
  '`data.orderId` equals `subject`',
  "every amount has no more decimals than its currency's ISO 4217 minor unit (JPY 0, EUR 2, KWD 3)",
] as const;

/**
 * JSON Schema (2020-12) of each inbound event in structured mode, generated from the zod schemas
 * ingest validates with, in their input mode: what ingest accepts, the schema accepts. Unknown keys
 * are allowed, as ingest ignores them (a CloudEvents extension such as `partitionkey`, a provider's
 * extra fields). schemas/events/*.schema.json are these, written by `oms schemas write`.
 */
export function eventJsonSchema(type: EventType): Record<string, unknown> {
  const envelope = cloudEventAttributes
    .extend({
      id: cloudEventAttributes.shape.id.describe('Unique id of the event; duplicates with the same id are applied once'),
      type: z.literal(type),
      subject: z.string().min(1).describe('The order id; also the Kafka key'),
      datacontenttype: z.string().optional().describe('application/json; the data is read as JSON whatever it says'),
      data: EVENT_DATA_SCHEMAS[type],
    })
    .describe(`A ${type} event (CloudEvents 1.0, structured mode). Also checked by ingest: ${CROSS_FIELD_RULES.join('; ')}.`);
  return { $id: `https://oms.example/schemas/events/${type}.schema.json`, title: type, ...z.toJSONSchema(envelope, { target: 'draft-2020-12', io: 'input' }) };
}

export const eventSchemaFile = (type: EventType) => `${type}.schema.json`;

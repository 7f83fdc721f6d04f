import { z } from 'zod';
import { EVENT_DATA_SCHEMAS, type EventType } from './catalog.ts';

/**
 * JSON Schema (2020-12) of each inbound event, envelope included, generated from the zod schemas
 * the ingest consumer validates with: schemas/events/*.schema.json are these, written by `oms schemas write`,
 * and a test keeps them from drifting.
 */
export function eventJsonSchema(type: EventType): Record<string, unknown> {
  const envelope = z.object({
    specversion: z.literal('1.0'),
    id: z.string().min(1).describe('Unique id of the event; duplicates with the same id are applied once'),
    source: z.string().min(1),
    type: z.literal(type),
    time: z.iso.datetime({ offset: true }).optional(),
    subject: z.string().min(1).describe('The order id; also the Kafka key'),
    datacontenttype: z.literal('application/json').optional(),
    data: EVENT_DATA_SCHEMAS[type],
  });
  return { $id: `https://oms.example/schemas/events/${type}.schema.json`, title: type, ...z.toJSONSchema(envelope, { target: 'draft-2020-12' }) };
}

export const eventSchemaFile = (type: EventType) => `${type}.schema.json`;

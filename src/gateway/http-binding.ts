import type { IncomingHttpHeaders } from 'node:http';
import { parseJson, validateEvent, type InboundEvent } from '../event/envelope.ts';
import { EventProcessingError, type FieldIssue } from '../event/errors.ts';
import { DEFAULT_PROVIDER_OPTIONS, isIgnored, type IgnoredEvent, type ProviderOptions } from './provider.ts';
import { sourceTypes, WEBHOOK_SOURCES, type SourceName } from './sources.ts';

/** The media types a webhook may carry; anything else is refused with 415 before the body is read. */
export const STRUCTURED = 'application/cloudevents+json';
export const JSON_BODY = 'application/json';

/** What the gateway writes: the Kafka record, and the event it was validated as. */
export interface GatewayRecord {
  key: string;
  value: Buffer;
  headers: Record<string, string>;
  event: InboundEvent;
}

const headerText = (headers: IncomingHttpHeaders, name: string) => {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/** Field paths of the event's data, as the provider's body has them (`data.object.amount` for a Stripe event). */
function inSendersTerms(error: EventProcessingError, senderField: (field: string) => string): EventProcessingError {
  const fields: FieldIssue[] = error.fields.map((issue) => (issue.field === 'data' || issue.field.startsWith('data.') ? { ...issue, field: senderField(issue.field) } : issue));
  const message = fields.length > 0 ? fields.map((issue) => `${issue.field}: ${issue.message}`).join('; ') : error.message;
  return new EventProcessingError(error.reason, error.retriable, message, { fields, cause: error });
}

/**
 * The CloudEvents HTTP binding, and the provider mappings, to the Kafka binding ingest reads:
 *   structured (application/cloudevents+json): the body is the record's value, as signed;
 *   binary (ce-* headers):                      the headers become ce_* record headers, the body the value;
 *   provider-style (application/json):          the source's mapping makes a structured event.
 * Every record is validated as ingest will validate it (the same catalog and checks), so what the
 * gateway accepts, ingest accepts. The key is the order id.
 */
export function toGatewayRecord(
  source: SourceName,
  request: { headers: IncomingHttpHeaders; body: Buffer; mediaType: string },
  maxEventBytes: number,
  options: ProviderOptions = DEFAULT_PROVIDER_OPTIONS,
): GatewayRecord | IgnoredEvent {
  const { provider, ceSource } = WEBHOOK_SOURCES[source];
  let value = request.body;
  let headers: Record<string, string>;
  let event: InboundEvent;
  if (request.mediaType === STRUCTURED) {
    headers = { 'content-type': STRUCTURED };
    event = validateEvent({ key: null, value, headers }, maxEventBytes);
  } else if (headerText(request.headers, 'ce-specversion') !== undefined) {
    headers = { 'content-type': JSON_BODY };
    for (const [name, text] of Object.entries(request.headers)) {
      if (name.startsWith('ce-') && text !== undefined) headers[`ce_${name.slice(3)}`] = Array.isArray(text) ? text[0]! : text;
    }
    event = validateEvent({ key: null, value, headers }, maxEventBytes);
  } else {
    const mapped = provider.toEvent((name) => headerText(request.headers, name), parseJson(request.body, 'body'), options);
    if (isIgnored(mapped)) return mapped;
    const orderId = (mapped.data as { orderId?: unknown } | undefined)?.orderId;
    if (typeof orderId !== 'string' || orderId.length === 0) throw inSendersTerms(EventProcessingError.permanent('missing-subject', 'the order id is required', { fields: [{ field: 'data.orderId', message: 'the order id is required' }] }), mapped.senderField);
    const structured = { specversion: '1.0', id: mapped.id, source: ceSource, type: mapped.type, ...(mapped.time ? { time: mapped.time } : {}), subject: orderId, datacontenttype: JSON_BODY, data: mapped.data };
    value = Buffer.from(JSON.stringify(structured));
    headers = { 'content-type': STRUCTURED };
    try {
      event = validateEvent({ key: null, value, headers }, maxEventBytes);
    } catch (error) {
      throw error instanceof EventProcessingError ? inSendersTerms(error, mapped.senderField) : error;
    }
  }
  if (!sourceTypes(source).includes(event.type)) {
    throw EventProcessingError.permanent('unknown-type', `${event.type} is not accepted from ${source}`, {
      fields: [{ field: 'type', message: `expected one of ${sourceTypes(source).join(', ')}` }],
    });
  }
  return { key: event.subject, value, headers, event };
}

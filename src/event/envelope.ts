import { z } from 'zod';
import { EVENT_DATA_SCHEMAS, isEventType, type EventData, type EventType } from './catalog.ts';
import { EventProcessingError, type FieldIssue } from './errors.ts';

/**
 * CloudEvents 1.0 over Kafka (the CloudEvents Kafka protocol binding):
 *   structured mode: the value is the whole event as JSON (`application/cloudevents+json`);
 *   binary mode:     attributes travel as `ce_*` headers and the value is `data` (JSON).
 * The Kafka key and `subject` are both the order id, and must agree.
 */
export interface InboundEvent<T extends EventType = EventType> {
  id: string;
  source: string;
  type: T;
  time?: string;
  subject: string;
  data: EventData<T>;
}

export type HeaderValue = Buffer | string | (Buffer | string)[] | undefined;

export interface RawMessage {
  key: Buffer | null;
  value: Buffer | null;
  headers?: Record<string, HeaderValue>;
}

/** The context attributes ingest reads; any other (a CloudEvents extension such as `partitionkey`) is allowed and ignored. */
export const cloudEventAttributes = z.object({
  specversion: z.literal('1.0', { error: 'specversion must be "1.0"' }),
  id: z.string().min(1, 'id is required'),
  source: z.string().min(1, 'source is required'),
  type: z.string().min(1, 'type is required'),
  time: z.iso.datetime({ offset: true, error: 'time must be an RFC 3339 timestamp' }).optional(),
  subject: z.string().optional(),
});

export function headerText(value: HeaderValue): string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
}

function messageSize(message: RawMessage): number {
  let size = (message.key?.length ?? 0) + (message.value?.length ?? 0);
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    size += name.length + (headerText(value)?.length ?? 0);
  }
  return size;
}

/** JSON.parse with errors that say where the fault is, never what the input around it was. */
export function parseJson(bytes: Buffer | null, what: string): unknown {
  if (!bytes || bytes.length === 0) throw EventProcessingError.permanent('malformed-json', `${what} is empty`);
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    // V8's message quotes the input around the fault (`Unexpected token 'j', ..."{"email": jane.doe@e"...`): a
    // customer's details, bound for the DLQ reason header and the logs. Only the kind of fault and where it is stay.
    const message = (error as Error).message;
    const fault = /^((?:[^,"']|'[^']{1,3}')*?)(?: in JSON|,|$)/.exec(message)?.[1] || 'syntax error';
    const at = / at position \d+(?: \(line \d+ column \d+\))?/.exec(message)?.[0] ?? '';
    throw EventProcessingError.permanent('malformed-json', `${what} is not valid JSON: ${fault}${at}`);
  }
}

function fieldIssues(error: z.ZodError, prefix: string[] = []): FieldIssue[] {
  return error.issues.map((issue) => ({ field: [...prefix, ...issue.path.map(String)].join('.') || '(root)', message: issue.message }));
}

function describeIssues(issues: FieldIssue[]): string {
  return issues.map((issue) => `${issue.field}: ${issue.message}`).join('; ');
}

function invalid(reason: 'invalid-envelope' | 'schema-invalid', what: string, issues: FieldIssue[]): EventProcessingError {
  return EventProcessingError.permanent(reason, `${what}: ${describeIssues(issues)}`, { fields: issues });
}

function readEnvelope(message: RawMessage): { attrs: z.infer<typeof cloudEventAttributes>; data: unknown } {
  const headers = message.headers ?? {};
  if (headers.ce_specversion !== undefined) {
    const fromHeaders = Object.fromEntries(
      ['specversion', 'id', 'source', 'type', 'time', 'subject'].map((name) => [name, headerText(headers[`ce_${name}`])]),
    );
    const parsed = cloudEventAttributes.safeParse(fromHeaders);
    if (!parsed.success) throw invalid('invalid-envelope', 'CloudEvents headers', fieldIssues(parsed.error));
    return { attrs: parsed.data, data: parseJson(message.value, 'binary-mode data') };
  }
  const body = parseJson(message.value, 'event');
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw EventProcessingError.permanent('invalid-envelope', 'a structured-mode event must be a JSON object');
  }
  const parsed = cloudEventAttributes.safeParse(body);
  if (!parsed.success) throw invalid('invalid-envelope', 'CloudEvents envelope', fieldIssues(parsed.error));
  return { attrs: parsed.data, data: (body as { data?: unknown }).data };
}

/**
 * The checks of the event itself, whatever carries it: envelope, subject, type, data. The gateway runs
 * these before it writes to Kafka, so what it accepts, ingest accepts.
 */
export function validateEvent(message: RawMessage, maxBytes: number): InboundEvent {
  const size = messageSize(message);
  if (size > maxBytes) throw EventProcessingError.permanent('too-large', `message is ${size} bytes, over the ${maxBytes}-byte limit`);
  const { attrs, data } = readEnvelope(message);
  if (!attrs.subject) throw EventProcessingError.permanent('missing-subject', 'subject (the order id) is missing', { fields: [{ field: 'subject', message: 'the order id is required' }] });
  if (!isEventType(attrs.type)) throw EventProcessingError.permanent('unknown-type', `unknown event type "${attrs.type}"`, { fields: [{ field: 'type', message: 'unknown event type' }] });
  const checked = EVENT_DATA_SCHEMAS[attrs.type].safeParse(data);
  if (!checked.success) throw invalid('schema-invalid', `${attrs.type} event`, fieldIssues(checked.error, ['data']));
  if (checked.data.orderId !== attrs.subject) {
    throw EventProcessingError.permanent('schema-invalid', `data.orderId "${checked.data.orderId}" differs from subject "${attrs.subject}"`, {
      fields: [{ field: 'data.orderId', message: 'differs from subject' }],
    });
  }
  return { id: attrs.id, source: attrs.source, type: attrs.type, time: attrs.time, subject: attrs.subject, data: checked.data };
}

/** Turns a Kafka message into a validated event, or throws a permanent EventProcessingError saying why not. */
export function decodeEvent(message: RawMessage, maxBytes: number): InboundEvent {
  const event = validateEvent(message, maxBytes);
  const key = message.key?.toString('utf8');
  if (!key) throw EventProcessingError.permanent('missing-key', 'the Kafka key (the order id) is missing');
  if (key !== event.subject) {
    throw EventProcessingError.permanent('key-subject-mismatch', `Kafka key "${key}" differs from subject "${event.subject}"`);
  }
  return event;
}

import type { Payload } from '@temporalio/common';

/**
 * Payloads the SDK writes itself, past the data converter, so never encrypted: a patch's marker
 * ({"id": "<patch id>", "deprecated": false}), search attributes (TemporalChangeVersion, the
 * patch ids a run took; OmsOrderStage, the stage an order waits in), and a local activity marker's `data` (its type, attempt and times; its
 * `result` goes through the converter like any activity's). They name code, never customer data.
 */
const sdkInternal = (key: string, value: unknown) =>
  key === 'upsertWorkflowSearchAttributesEventAttributes' || (key === 'markerRecordedEventAttributes' && (value as { markerName?: string }).markerName === 'core_patch');
const localActivityMarker = (key: string, value: unknown): value is { details?: { data?: unknown } } =>
  key === 'markerRecordedEventAttributes' && (value as { markerName?: string }).markerName === 'core_local_activity';

/**
 * Every Payload in a decoded protobuf message tree (a history, say): objects with a `metadata` map and
 * `data` bytes. The SDK's own (see above) go to `internal` instead, when given.
 */
export function payloadsIn(node: unknown, found: Payload[] = [], internal: Payload[] = []): Payload[] {
  if (node === null || typeof node !== 'object' || node instanceof Uint8Array) return found;
  if ('metadata' in node && 'data' in node && (node as Payload).data instanceof Uint8Array) found.push(node as Payload);
  for (const [key, value] of Object.entries(node)) {
    if (value && sdkInternal(key, value)) payloadsIn(value, internal);
    else if (value && localActivityMarker(key, value)) {
      const { data, ...rest } = value.details ?? {};
      payloadsIn(data, internal);
      payloadsIn({ ...value, details: rest }, found, internal);
    } else payloadsIn(value, found, internal);
  }
  return found;
}

import type { Payload } from '@temporalio/common';

/**
 * Payloads the SDK writes itself, past the data converter, so never encrypted: a patch's marker
 * ({"id": "<patch id>", "deprecated": false}) and the TemporalChangeVersion search attribute (the
 * patch ids a run took). They name code, never customer data.
 */
const sdkInternal = (key: string, value: unknown) =>
  key === 'upsertWorkflowSearchAttributesEventAttributes' || (key === 'markerRecordedEventAttributes' && (value as { markerName?: string }).markerName === 'core_patch');

/**
 * Every Payload in a decoded protobuf message tree (a history, say): objects with a `metadata` map and
 * `data` bytes. The SDK's own (see above) go to `internal` instead, when given.
 */
export function payloadsIn(node: unknown, found: Payload[] = [], internal: Payload[] = []): Payload[] {
  if (node === null || typeof node !== 'object' || node instanceof Uint8Array) return found;
  if ('metadata' in node && 'data' in node && (node as Payload).data instanceof Uint8Array) found.push(node as Payload);
  for (const [key, value] of Object.entries(node)) {
    if (value && sdkInternal(key, value)) payloadsIn(value, internal);
    else payloadsIn(value, found, internal);
  }
  return found;
}

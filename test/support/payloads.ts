import type { Payload } from '@temporalio/common';

/** Every Payload in a decoded protobuf message tree (a history, say): objects with a `metadata` map and `data` bytes. */
export function payloadsIn(node: unknown, found: Payload[] = []): Payload[] {
  if (node === null || typeof node !== 'object' || node instanceof Uint8Array) return found;
  if ('metadata' in node && 'data' in node && (node as Payload).data instanceof Uint8Array) found.push(node as Payload);
  for (const value of Object.values(node)) payloadsIn(value, found);
  return found;
}

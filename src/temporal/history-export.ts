import type { Client } from '@temporalio/client';
import { METADATA_ENCODING_KEY, type PayloadCodec } from '@temporalio/common';
import { historyToJSON, JSONToPayload, payloadToJSON, type JSONPayload } from '@temporalio/common/lib/proto-utils.js';
import { ENCRYPTED_ENCODING } from './encryption-codec.ts';

const encrypted = Buffer.from(ENCRYPTED_ENCODING).toString('base64');

/** A payload in a history's proto3 JSON: metadata values and data in base64. */
function isEncryptedPayload(node: unknown): node is JSONPayload {
  const metadata = (node as { metadata?: Record<string, unknown> } | null)?.metadata;
  return typeof metadata === 'object' && metadata !== null && metadata[METADATA_ENCODING_KEY] === encrypted;
}

/** Replaces every encrypted payload anywhere in the tree (inputs, results, failures, markers) by its plaintext. */
async function decodeTree(node: unknown, codec: PayloadCodec): Promise<unknown> {
  if (Array.isArray(node)) return Promise.all(node.map((child) => decodeTree(child, codec)));
  if (typeof node !== 'object' || node === null) return node;
  if (isEncryptedPayload(node)) {
    const [plain] = await codec.decode([JSONToPayload(node)]);
    return payloadToJSON(plain!);
  }
  const entries = await Promise.all(Object.entries(node).map(async ([key, child]) => [key, await decodeTree(child, codec)] as const));
  return Object.fromEntries(entries);
}

/**
 * A workflow run's history as the JSON `temporal workflow show --output json` writes and
 * `Worker.runReplayHistories` reads, with payloads decrypted: replay tests then need no keys, and a
 * key rotation does not orphan them. The file holds what the workflow saw, so treat it as customer data.
 */
export async function exportHistory(client: Client, codec: PayloadCodec | undefined, workflowId: string, runId?: string): Promise<unknown> {
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  const json: unknown = JSON.parse(historyToJSON(history));
  return codec ? decodeTree(json, codec) : json;
}

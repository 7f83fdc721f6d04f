import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { ConfigError } from '../config/config.ts';
import { readSecretSource } from '../config/secret-source.ts';

/**
 * The keys Temporal payloads are encrypted with: several may be held, one is active. New payloads are
 * encrypted with the active key and name it in their metadata; any key in the ring decrypts. Rotation
 * is therefore: add the new key, make it active, and remove the old one only once no history that
 * anyone still reads was written with it.
 *
 * The ring is JSON, from TEMPORAL_ENCRYPTION_KEYS or the file TEMPORAL_ENCRYPTION_KEYS_FILE names (a
 * mounted Secret): {"active": "2026-11", "keys": {"2026-11": "<32 bytes, base64>", "2026-05": "..."}}
 */
export interface KeyRing {
  activeId: string;
  keys: ReadonlyMap<string, Buffer>;
}

export const KEY_BYTES = 32;

const keyId = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'a key id is 1-64 letters, digits, dots, dashes or underscores');
const RING_SCHEMA = z
  .object({
    active: keyId,
    keys: z.record(
      keyId,
      z
        .string()
        .regex(/^[A-Za-z0-9+/]+={0,2}$/, 'expected base64')
        .refine((text) => Buffer.from(text, 'base64').length === KEY_BYTES, `expected ${KEY_BYTES} bytes (AES-256), base64-encoded`),
    ),
  })
  .refine((ring) => ring.active in ring.keys, { message: 'the active key id is not among the keys', path: ['active'] });

/** Parses a ring; a ConfigError names `variable` and what is wrong, never a key. */
export function parseKeyRing(text: string, variable: string): KeyRing {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ConfigError(`invalid configuration: ${variable}: expected JSON {"active": "<id>", "keys": {"<id>": "<base64>"}}`);
  }
  const parsed = RING_SCHEMA.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`invalid configuration: ${variable}: ${issue.path.join('.') || 'ring'}: ${issue.message}`);
  }
  return { activeId: parsed.data.active, keys: new Map(Object.entries(parsed.data.keys).map(([id, key]) => [id, Buffer.from(key, 'base64')])) };
}

/** The ring from the environment's one source, or undefined when neither variable is set. */
export function loadKeyRing(source: { keys?: string; keysFile?: string }): KeyRing | undefined {
  const read = readSecretSource({ value: source.keys, file: source.keysFile }, { value: 'TEMPORAL_ENCRYPTION_KEYS', file: 'TEMPORAL_ENCRYPTION_KEYS_FILE' });
  return read && parseKeyRing(read.text, read.variable);
}

/** A new ring of one random key, as JSON: what the local stack writes on its first `up`. */
export function newKeyRingJson(id: string): string {
  return `${JSON.stringify({ active: id, keys: { [id]: randomBytes(KEY_BYTES).toString('base64') } }, null, 2)}\n`;
}

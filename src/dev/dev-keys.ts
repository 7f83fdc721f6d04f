import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { newSourceSecretsJson } from '../gateway/secrets.ts';
import { newKeyRingJson } from '../temporal/key-ring.ts';
import { cachePaths } from './native/paths.ts';

/**
 * The local stack's secrets: made on the first `up`, kept beside the data they protect (so `oms dev
 * reset`, which deletes that data, starts new ones with it), readable by their owner only.
 */
function ensureSecretFile(file: string, make: () => string): string {
  if (!existsSync(file)) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, make(), { mode: 0o600, flag: 'wx' });
  }
  return file;
}

export function devKeyRingFile(paths = cachePaths()): string {
  return path.join(paths.data, 'temporal-keys.json');
}

/** The key ring for Temporal payloads; returns its path. */
export function ensureDevKeyRing(file = devKeyRingFile()): string {
  return ensureSecretFile(file, () => newKeyRingJson(`dev-${new Date().toISOString().slice(0, 10)}`));
}

/** The local codec server's token: the local Temporal UI calls it with this in the path. */
export function ensureDevCodecToken(paths = cachePaths()): string {
  return readFileSync(ensureSecretFile(path.join(paths.data, 'codec-server-token'), () => randomBytes(24).toString('base64url')), 'utf8').trim();
}

/** The local gateway's webhook secrets, which `oms demo --via gateway` signs with; returns the file's path. */
export function ensureDevGatewaySecrets(paths = cachePaths()): string {
  return ensureSecretFile(path.join(paths.data, 'gateway-secrets.json'), newSourceSecretsJson);
}

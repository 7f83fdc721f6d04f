import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { newKeyRingJson } from '../temporal/key-ring.ts';
import { cachePaths } from './native/paths.ts';

/**
 * The local stack's key ring for Temporal payloads: made on the first `up`, kept beside the data it
 * encrypts (so `oms dev reset`, which deletes that data, starts a new ring with it), readable by its owner only.
 */
export function devKeyRingFile(paths = cachePaths()): string {
  return path.join(paths.data, 'temporal-keys.json');
}

/** Writes a new ring unless one is there already; returns its path. */
export function ensureDevKeyRing(file = devKeyRingFile()): string {
  if (!existsSync(file)) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, newKeyRingJson(`dev-${new Date().toISOString().slice(0, 10)}`), { mode: 0o600, flag: 'wx' });
  }
  return file;
}

/** The local codec server's token, made once like the ring: the local Temporal UI calls it with this in the path. */
export function ensureDevCodecToken(paths = cachePaths()): string {
  const file = path.join(paths.data, 'codec-server-token');
  if (!existsSync(file)) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, randomBytes(24).toString('base64url'), { mode: 0o600, flag: 'wx' });
  }
  return readFileSync(file, 'utf8').trim();
}

import type { Command } from 'commander';
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../config/config.ts';
import { KEY_BYTES, loadKeyRing, newKeyRingJson } from '../temporal/key-ring.ts';

const defaultId = () => new Date().toISOString().slice(0, 10);

/**
 * Key rings for Temporal payload encryption, printed to stdout for the operator to store (a Kubernetes
 * Secret, a file readable by the service only): never written anywhere by this command.
 */
export function registerKeysCommand(program: Command): void {
  const keys = program.command('keys').description('Key rings for Temporal payload encryption (TEMPORAL_ENCRYPTION_KEYS)');
  keys
    .command('new')
    .description('Print a new key ring of one random AES-256 key')
    .option('--id <id>', 'the key id (default: today, YYYY-MM-DD)')
    .action((options: { id?: string }) => void process.stdout.write(newKeyRingJson(options.id ?? defaultId())));
  keys
    .command('rotate')
    .description('Print the configured ring with a new random key added and made active; the old keys stay, to decrypt old histories')
    .option('--id <id>', 'the new key id (default: today, YYYY-MM-DD)')
    .action((options: { id?: string }) => {
      const { encryption } = loadConfig().temporal;
      const ring = loadKeyRing(encryption);
      if (!ring) throw new Error('no key ring configured: set TEMPORAL_ENCRYPTION_KEYS or TEMPORAL_ENCRYPTION_KEYS_FILE to the current ring');
      const id = options.id ?? defaultId();
      if (ring.keys.has(id)) throw new Error(`the ring already has a key "${id}": choose another --id`);
      const all = Object.fromEntries([...ring.keys].map(([keyId, key]) => [keyId, key.toString('base64')]));
      process.stdout.write(`${JSON.stringify({ active: id, keys: { ...all, [id]: randomBytes(KEY_BYTES).toString('base64') } }, null, 2)}\n`);
    });
}

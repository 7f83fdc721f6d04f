import type { Command } from 'commander';
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../config/config.ts';
import { loadSourceSecrets, newSourceSecret, newSourceSecretsJson } from '../gateway/secrets.ts';
import { SOURCE_NAMES, type SourceName } from '../gateway/sources.ts';
import { KEY_BYTES, loadKeyRing, newKeyRingJson } from '../temporal/key-ring.ts';

const defaultId = () => new Date().toISOString().slice(0, 10);

/**
 * Key rings for Temporal payload encryption, printed to stdout for the operator to store (a Kubernetes
 * Secret, a file readable by the service only): never written anywhere by this command. The same for
 * the gateway's webhook signing secrets.
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
  keys
    .command('webhook-secrets')
    .description('Print webhook signing secrets for oms gateway (GATEWAY_SECRETS): new ones for every source, or with --rotate the configured ones plus a new one for a source')
    .option('--rotate <source>', `add a new secret to this source (${SOURCE_NAMES.join(', ')}) and keep the current ones, for the overlap`)
    .action((options: { rotate?: string }) => {
      if (!options.rotate) return void process.stdout.write(newSourceSecretsJson());
      if (!(SOURCE_NAMES as readonly string[]).includes(options.rotate)) throw new Error(`--rotate: unknown source ${options.rotate}; expected one of ${SOURCE_NAMES.join(', ')}`);
      const current = loadSourceSecrets(loadConfig().gateway);
      if (!current) throw new Error('no webhook secrets configured: set GATEWAY_SECRETS or GATEWAY_SECRETS_FILE to the current ones');
      const source = options.rotate as SourceName;
      // Newest first: senders are told to switch to it; the older ones go once they have.
      process.stdout.write(`${JSON.stringify({ ...current, [source]: [newSourceSecret(), ...(current[source] ?? [])] }, null, 2)}\n`);
    });
}

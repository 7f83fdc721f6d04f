import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { ConfigError } from '../config/config.ts';
import { readSecretSource } from '../config/secret-source.ts';
import { SOURCE_NAMES, type SourceName } from './sources.ts';

export type SourceSecrets = Partial<Record<SourceName, string[]>>;

const secret = z.string().regex(/^\S{16,}$/, 'a secret is 16 or more characters, no spaces');
const SECRETS_SCHEMA = z.partialRecord(z.enum(SOURCE_NAMES), z.array(secret).min(1, 'at least one secret').max(4, 'at most 4 secrets'));

/**
 * The signing secrets per source, from GATEWAY_SECRETS or GATEWAY_SECRETS_FILE. A source may have
 * several: during a rotation the sender switches to the new secret while the old one still works.
 * Errors name the variable and the source, never a secret.
 */
export function loadSourceSecrets(source: { secrets?: string; secretsFile?: string }): SourceSecrets | undefined {
  const read = readSecretSource({ value: source.secrets, file: source.secretsFile }, { value: 'GATEWAY_SECRETS', file: 'GATEWAY_SECRETS_FILE' });
  if (!read) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(read.text);
  } catch {
    throw new ConfigError(`invalid configuration: ${read.variable}: expected JSON {"commerce": ["<secret>"], "payments": [...], "support": [...]}`);
  }
  const parsed = SECRETS_SCHEMA.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.code === 'invalid_key' || issue.code === 'unrecognized_keys' ? `expected sources among ${SOURCE_NAMES.join(', ')}` : `${issue.path.join('.') || 'secrets'}: ${issue.message}`;
    throw new ConfigError(`invalid configuration: ${read.variable}: ${where}`);
  }
  if (Object.keys(parsed.data).length === 0) throw new ConfigError(`invalid configuration: ${read.variable}: no source has a secret`);
  return parsed.data;
}

export const newSourceSecret = () => randomBytes(24).toString('base64url');

/** Secrets for every source, as JSON: what `oms keys webhook-secrets` prints and the local stack writes on its first `up`. */
export function newSourceSecretsJson(): string {
  return `${JSON.stringify(Object.fromEntries(SOURCE_NAMES.map((name) => [name, [newSourceSecret()]])), null, 2)}\n`;
}

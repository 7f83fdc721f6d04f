import { ENV_SCHEMA, SECRET_VARIABLES, type Env } from './config.ts';

export interface ConfigEntry {
  variable: keyof Env;
  value: string | undefined;
  source: 'environment' | 'default' | 'unset';
  description: string;
}

/** Masks secrets, and the password of a URL with credentials (redis://:pw@host). */
function shown(variable: keyof Env, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (SECRET_VARIABLES.has(variable)) return '***';
  return value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*):[^@/]*@/i, '$1:***@');
}

/** Every variable with its effective value and where it came from: what `oms config` prints. */
export function describeConfig(env: NodeJS.ProcessEnv): ConfigEntry[] {
  const defaults = ENV_SCHEMA.parse({}) as Record<string, unknown>;
  return (Object.keys(ENV_SCHEMA.shape) as (keyof Env)[]).map((variable) => {
    const raw = env[variable];
    const fallback = defaults[variable];
    const value = raw !== undefined && raw !== '' ? raw : fallback === undefined ? undefined : typeof fallback === 'string' ? fallback : JSON.stringify(fallback);
    return {
      variable,
      value: shown(variable, value),
      source: raw !== undefined && raw !== '' ? 'environment' : fallback === undefined ? 'unset' : 'default',
      description: ENV_SCHEMA.shape[variable].description ?? '',
    };
  });
}

/** `.env.example`: every variable, commented, with its default. Generated, and kept in sync by a test. */
export function envExample(): string {
  const lines = [
    '# Configuration of the order management service (oms). Copy to .env and uncomment what you change.',
    '# The environment wins over .env. `npx oms config` prints the effective values, secrets masked.',
    '# Leave KAFKA_BROKERS, SCHEMA_REGISTRY_URL and TEMPORAL_ADDRESS unset and `oms start` runs the local stack.',
    '',
  ];
  for (const entry of describeConfig({})) {
    lines.push(`# ${entry.description}`);
    lines.push(`# ${entry.variable}=${entry.source === 'default' ? entry.value : ''}`);
    lines.push('');
  }
  return lines.join('\n');
}

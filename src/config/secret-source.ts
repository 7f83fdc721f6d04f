import { readFileSync } from 'node:fs';
import { ConfigError, type Env } from './config.ts';

/**
 * A secret given either inline or as a file (a mounted Kubernetes Secret): exactly one of the two
 * variables, read once at start. Returns the text and the variable it came from, for error messages
 * that name the variable and never the secret.
 */
export function readSecretSource(
  source: { value?: string; file?: string },
  variables: { value: keyof Env; file: keyof Env },
): { text: string; variable: keyof Env } | undefined {
  if (source.value !== undefined && source.file !== undefined) {
    throw new ConfigError(`invalid configuration: ${variables.file}: set either it or ${variables.value}, not both`);
  }
  if (source.value !== undefined) return { text: source.value, variable: variables.value };
  if (source.file === undefined) return undefined;
  try {
    return { text: readFileSync(source.file, 'utf8'), variable: variables.file };
  } catch (error) {
    throw new ConfigError(`invalid configuration: ${variables.file}: cannot read ${source.file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}

import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { expect, test } from 'vitest';
import { ENV_SCHEMA } from '../../../src/config/config.ts';
import { configReference } from '../../../src/config/describe.ts';
import { OUTSIDE_SCHEMA, READ_BY } from '../../../src/config/roles.ts';
import { runOms } from '../../support/cli.ts';

const root = path.resolve(import.meta.dirname, '../../..');
/** The operating system's and Node's own variables, which the service reads as every program does. */
const SYSTEM = new Set(['PATH', 'HOME', 'NODE_OPTIONS', 'NODE_ENV', 'CI', 'TERM', 'NO_COLOR']);

test('docs/configuration.md is what `oms config --markdown` generates from the schema', async () => {
  const committed = await readFile(path.join(root, 'docs/configuration.md'), 'utf8');
  expect(committed, 'regenerate it: npx oms config --markdown > docs/configuration.md').toBe(configReference());
  const printed = await runOms(['config', '--markdown'], {});
  expect(printed.code).toBe(0);
  expect(printed.stdout).toBe(committed);
});

test('the reference has a row for every variable, with its default, readers and description', () => {
  const reference = configReference();
  const defaults = ENV_SCHEMA.parse({}) as Record<string, unknown>;
  for (const [variable, schema] of Object.entries(ENV_SCHEMA.shape)) {
    const row = reference.split('\n').find((line) => line.startsWith(`| \`${variable}\` |`));
    expect(row, variable).toBeDefined();
    const [, , fallback, readers, description] = row!.split(/(?<!\\)\|/).map((cell) => cell.trim());
    expect(description, variable).toContain(schema.description!.replaceAll('|', '\\|'));
    expect(readers, variable).toBe(READ_BY[variable as keyof typeof READ_BY].join(', '));
    const value = defaults[variable];
    if (typeof value === 'string' || typeof value === 'number') expect(fallback, variable).toContain(String(value));
  }
});

test('every variable src/ reads from the environment is in the schema, or in the reference with a reason', async () => {
  const read = new Set<string>();
  for (const entry of await readdir(path.join(root, 'src'), { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !/\.(ts|mts|mjs)$/.test(entry.name)) continue;
    const text = await readFile(path.join(entry.parentPath, entry.name), 'utf8');
    for (const match of text.matchAll(/process\.env\.([A-Z][A-Z0-9_]*)|process\.env\[['"]([A-Z][A-Z0-9_]*)['"]\]|portFromEnv\('([A-Z][A-Z0-9_]*)'/g)) read.add((match[1] ?? match[2] ?? match[3])!);
  }
  expect(read.size, 'the scan finds the reads').toBeGreaterThan(10);
  const known = new Set([...Object.keys(ENV_SCHEMA.shape), ...OUTSIDE_SCHEMA.map((entry) => entry.variable), ...SYSTEM]);
  expect([...read].filter((variable) => !known.has(variable)).sort()).toEqual([]);
  // And none of the outside list is in the schema too.
  expect(OUTSIDE_SCHEMA.filter((entry) => entry.variable in ENV_SCHEMA.shape)).toEqual([]);
});

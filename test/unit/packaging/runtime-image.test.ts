import { cp, mkdtemp, readFile, readdir, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, test } from 'vitest';
import { runOms } from '../../support/cli.ts';

const root = path.resolve(import.meta.dirname, '../../..');
const missingEndpoints =
  /^oms: invalid configuration: TEMPORAL_ADDRESS: required, but not set; STOREFRONT_BASE_URL: required, but not set; PAYMENT_PROVIDER_BASE_URL: required, but not set; KAFKA_BROKERS: required, but not set; SCHEMA_REGISTRY_URL: required, but not set; NOTIFICATION_BASE_URL: required, but not set; RISK_BASE_URL: required, but not set$/;

/**
 * The modules a file can load: its imports (type-only ones are erased) and its dynamic imports of a
 * literal path. The dev tooling is loaded through a computed URL, only when present: not followed.
 */
async function loadedModules(file: string): Promise<string[]> {
  const text = await readFile(file, 'utf8');
  const specifiers = [
    ...[...text.matchAll(/^(?:import|export)\s+(?!type\s)[^;]*?\sfrom\s+'(\.[^']+)'/gms)].map((match) => match[1]!),
    ...[...text.matchAll(/\bimport\('(\.[^']+)'\)/g)].map((match) => match[1]!),
  ];
  return specifiers.map((specifier) => path.resolve(path.dirname(file), specifier));
}

test('no module the roles load imports the dev tooling (local stack, stand-ins, demo): the image can leave src/dev out', async () => {
  const seen = new Set<string>();
  const queue = [path.join(root, 'src/cli/oms.ts')];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    queue.push(...(await loadedModules(file)));
  }
  expect(seen.size).toBeGreaterThan(30);
  expect([...seen].filter((file) => file.startsWith(path.join(root, 'src/dev/'))).map((file) => path.relative(root, file))).toEqual([]);
  // And the walk sees what it should: the roles' own modules.
  expect(seen).toContain(path.join(root, 'src/service/ingest.ts'));
  expect(seen).toContain(path.join(root, 'src/ingest/member-takeover.ts'));
});

test('the image tree (src without src/dev) runs oms start with no endpoints as a one-line config error, and knows no dev commands', { timeout: 60_000 }, async () => {
  const image = await mkdtemp(path.join(tmpdir(), 'oms-image-'));
  await cp(path.join(root, 'src'), path.join(image, 'src'), { recursive: true, filter: (source) => !source.startsWith(path.join(root, 'src/dev')) });
  await cp(path.join(root, 'schemas'), path.join(image, 'schemas'), { recursive: true });
  await cp(path.join(root, 'package.json'), path.join(image, 'package.json'));
  await symlink(path.join(root, 'node_modules'), path.join(image, 'node_modules'));
  expect(await readdir(path.join(image, 'src'))).not.toContain('dev');
  const entry = path.join(image, 'src/cli/oms.ts');

  // As in the image: no OMS_LOCAL_STACK set even, and still nothing tries to start a local stack.
  const start = await runOms(['start'], { OMS_CACHE_DIR: path.join(image, '.cache') }, 30_000, entry);
  expect(start.code).toBe(1);
  expect(start.stderr.trim()).toMatch(missingEndpoints);
  await expect(readdir(path.join(image, '.cache'))).rejects.toThrow(/ENOENT/);

  const dev = await runOms(['dev', 'up'], {}, 30_000, entry);
  expect(dev.code).toBe(1);
  expect(dev.stderr).toMatch(/unknown command 'dev'/);
});

test('in a checkout, OMS_LOCAL_STACK=off makes oms start with no endpoints a one-line config error, starting nothing', { timeout: 60_000 }, async () => {
  const stateDir = await mkdtemp(path.join(tmpdir(), 'oms-off-'));
  const start = await runOms(['start'], { OMS_LOCAL_STACK: 'off', OMS_DEV_STATE_DIR: stateDir }, 30_000);
  expect(start.code).toBe(1);
  expect(start.stderr.trim()).toMatch(missingEndpoints);
  expect(await readdir(stateDir)).toEqual([]);

  const bad = await runOms(['start'], { OMS_LOCAL_STACK: 'maybe' }, 30_000);
  expect(bad.stderr.trim()).toBe('oms: invalid configuration: OMS_LOCAL_STACK: expected auto or off, got "maybe"');
});

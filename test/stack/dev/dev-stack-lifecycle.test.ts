import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { expect, test } from 'vitest';
import { isAlive } from '../../../src/dev/native/process.ts';
import { newClusterId, SERVICE_NAMES } from '../../../src/dev/native/services.ts';
import { privateStack } from '../../support/dev-stack.ts';
import { nodeOnlyPath } from '../../support/node-only.ts';

test('oms dev up is idempotent, status reports it, and down leaves no process of ours behind', { timeout: 300_000 }, async () => {
  const stack = await privateStack(11_000);
  const { dev } = stack;
  const processesOf = async () => Object.values(await stack.processes());

  const first = await dev('up');
  let started: Awaited<ReturnType<typeof processesOf>>;
  try {
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout.trim().split('\n')).toEqual([
      'KAFKA_BROKERS=127.0.0.1:11000',
      'SCHEMA_REGISTRY_URL=http://127.0.0.1:11002/apis/ccompat/v7',
      'TEMPORAL_ADDRESS=127.0.0.1:11004',
      'REDIS_URL=redis://127.0.0.1:11006',
      `TEMPORAL_ENCRYPTION_KEYS_FILE=${stack.endpoints.temporalKeysFile}`,
      'OTEL_TRACES_EXPORTER=zipkin',
      'OTEL_EXPORTER_ZIPKIN_ENDPOINT=http://127.0.0.1:11007/api/v2/spans',
    ]);
    // The dev key ring, made by this first up, for the owner only.
    const ring = await stat(stack.endpoints.temporalKeysFile);
    expect(ring.mode & 0o777).toBe(0o600);
    started = await processesOf();
    expect(started).toHaveLength(SERVICE_NAMES.length);
    expect(started.every(isAlive)).toBe(true);

    const second = await dev('up');
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toBe(first.stdout);
    expect(second.stderr.match(/already running/g)).toHaveLength(SERVICE_NAMES.length);
    expect(await processesOf()).toEqual(started);

    const status = await dev('status');
    expect(status.code).toBe(0);
    expect(status.stdout.match(/ up /g)).toHaveLength(SERVICE_NAMES.length);
  } finally {
    const down = await dev('down');
    expect(down.code, down.stderr).toBe(0);
  }

  expect(started.filter(isAlive)).toEqual([]);
  expect(await processesOf()).toEqual([]);
  const after = await dev('status');
  expect(after.code).toBe(3);
  expect(after.stdout.match(/ down /g)).toHaveLength(SERVICE_NAMES.length);
});

test('with OMS_DEV_TOOLS=system, oms dev up names each tool the machine lacks and how to get it, and starts nothing', async () => {
  const { dev, stateDir } = await privateStack(11_000, { PATH: await nodeOnlyPath(), JAVA_HOME: '', OMS_DEV_TOOLS: 'system' });

  const result = await dev('up');

  expect(result.code).toBe(1);
  // java may still be found in /usr/lib/jvm, where the system's JDKs live even off PATH.
  if (!existsSync('/usr/lib/jvm')) expect(result.stderr).toMatch(/Missing prerequisite: java 21 or newer\. OMS_DEV_TOOLS=system uses the machine's.*unset OMS_DEV_TOOLS/);
  expect(result.stderr).toMatch(/Missing prerequisite: redis-server\. .*unset OMS_DEV_TOOLS to use the pinned Valkey/);
  expect(result.stderr).toMatch(/Missing prerequisite: temporal \(the Temporal CLI\)\. /);
  expect(result.stdout).toBe('');
  await expect(readFile(path.join(stateDir, 'run', 'stack.json'), 'utf8')).rejects.toThrow(/ENOENT/);
});

test('OMS_DEV_TOOLS other than pinned or system stops oms dev up with one line naming it', async () => {
  const { dev } = await privateStack(11_000, { OMS_DEV_TOOLS: 'mine' });
  const result = await dev('up');
  expect(result.code).toBe(1);
  expect(result.stderr.trim()).toBe('oms: OMS_DEV_TOOLS: expected pinned or system, got "mine"');
});

test('Kafka cluster ids never start with a dash, which the storage tool would take for an option', () => {
  const ids = Array.from({ length: 2_000 }, () => newClusterId());
  expect(ids.every((id) => /^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/.test(id))).toBe(true);
});

import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect, test } from 'vitest';
import { isAlive, type OwnedProcess } from '../../src/dev/native/process.ts';
import { newClusterId } from '../../src/dev/native/services.ts';

const run = promisify(execFile);
const oms = path.resolve(import.meta.dirname, '../../src/cli/oms.ts');

/**
 * Drives the real `oms dev` command on a second stack: its own state folder and ports 10000 above
 * the defaults, sharing the downloaded runtimes, so it never touches the stack the suite runs on.
 */
async function devStack(stateDir: string, overrides: NodeJS.ProcessEnv = {}) {
  const env = {
    ...process.env,
    OMS_DEV_STATE_DIR: stateDir,
    OMS_DEV_KAFKA_PORT: '19092',
    OMS_DEV_KAFKA_CONTROLLER_PORT: '19093',
    OMS_DEV_SCHEMA_REGISTRY_PORT: '18081',
    OMS_DEV_SCHEMA_REGISTRY_MANAGEMENT_PORT: '18091',
    OMS_DEV_TEMPORAL_PORT: '17233',
    OMS_DEV_TEMPORAL_UI_PORT: '18233',
    OMS_DEV_REDIS_PORT: '16379',
    ...overrides,
  };
  return async (...args: string[]) => {
    try {
      const { stdout, stderr } = await run(process.execPath, [oms, 'dev', ...args], { env, timeout: 240_000 });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string };
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
  };
}

async function processesOf(stateDir: string): Promise<OwnedProcess[]> {
  const text = await readFile(path.join(stateDir, 'run', 'stack.json'), 'utf8');
  return Object.values((JSON.parse(text) as { services: Record<string, OwnedProcess> }).services);
}

test('oms dev up is idempotent, status reports it, and down leaves no process of ours behind', { timeout: 300_000 }, async () => {
  const stateDir = await mkdtemp(path.join(tmpdir(), 'oms-dev-'));
  const dev = await devStack(stateDir);

  const first = await dev('up');
  expect(first.code, first.stderr).toBe(0);
  expect(first.stdout.trim().split('\n')).toEqual([
    'KAFKA_BROKERS=127.0.0.1:19092',
    'SCHEMA_REGISTRY_URL=http://127.0.0.1:18081/apis/ccompat/v7',
    'TEMPORAL_ADDRESS=127.0.0.1:17233',
    'REDIS_URL=redis://127.0.0.1:16379',
  ]);
  const started = await processesOf(stateDir);
  expect(started).toHaveLength(4);
  expect(started.every(isAlive)).toBe(true);

  try {
    const second = await dev('up');
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toBe(first.stdout);
    expect(second.stderr.match(/already running/g)).toHaveLength(4);
    expect(await processesOf(stateDir)).toEqual(started);

    const status = await dev('status');
    expect(status.code).toBe(0);
    expect(status.stdout.match(/ up /g)).toHaveLength(4);
  } finally {
    const down = await dev('down');
    expect(down.code, down.stderr).toBe(0);
  }

  expect(started.filter(isAlive)).toEqual([]);
  expect(await processesOf(stateDir)).toEqual([]);
  const after = await dev('status');
  expect(after.code).toBe(3);
  expect(after.stdout.match(/ down /g)).toHaveLength(4);
});

test('oms dev up names each missing prerequisite and how to get it, and starts nothing', async () => {
  const stateDir = await mkdtemp(path.join(tmpdir(), 'oms-dev-'));
  const dev = await devStack(stateDir, { PATH: path.dirname(process.execPath), JAVA_HOME: '' });

  const result = await dev('up');

  expect(result.code).toBe(1);
  expect(result.stderr).toMatch(/Missing prerequisite: mvn \(Apache Maven\)\. .*apt-get install maven/);
  expect(result.stderr).toMatch(/Missing prerequisite: python3 with the venv module\. .*python3-venv/);
  expect(result.stderr).toMatch(/Missing prerequisite: redis-server\. .*apt-get install redis-server/);
  expect(result.stdout).toBe('');
  await expect(readFile(path.join(stateDir, 'run', 'stack.json'), 'utf8')).rejects.toThrow(/ENOENT/);
});

test('Kafka cluster ids never start with a dash, which the storage tool would take for an option', () => {
  const ids = Array.from({ length: 2_000 }, () => newClusterId());
  expect(ids.every((id) => /^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/.test(id))).toBe(true);
});
